"""What the platform watches about itself: pure decisions (no I/O, no dagster) behind the asset checks
and sensors in customer_master/defs/monitoring/."""
