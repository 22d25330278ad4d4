"""Field work on campaign tasks: the task service and store, photos, queue, sweeps, the task API and pages."""
