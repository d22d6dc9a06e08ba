// TorchSharp's RNG (dropout, initialisation) and thread pool are process-wide: a test class running beside another
// would draw from the same generator mid-run and break the bit-exact resume and determinism checks. Run serially.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
