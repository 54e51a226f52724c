"""Long-horizon metrics an implant computes over days and weeks (golden model only): daily
activity, fracture healing from load per loading event, infection from temperature."""
