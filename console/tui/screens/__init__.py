"""The screens: overview, model, help; drift, slices, latency, timeline come later."""
