// One service at a time: OpenTelemetry listens to meters by name across the process, so two in-process services
// would see each other's gauges; and the timing-sensitive tests (disconnect, deadline) want the CPU to themselves.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
