/// <summary>
/// Loaded by the runtime before <c>Main</c> when this assembly is named in <c>DOTNET_STARTUP_HOOKS</c>: starts a
/// background thread that allocates short-lived arrays and forces a full blocking collection followed by the
/// finalizers every <c>GC_PRESSURE_EVERY</c> allocations (default 64). A managed object that owns native memory and
/// is no longer referenced while native code still uses it (for example an ONNX Runtime <c>RunOptions</c> passed
/// inline to <c>Run</c>) is then finalized within microseconds instead of at some rare later collection.
/// </summary>
public static class StartupHook
{
    /// <summary>The entry point the runtime calls.</summary>
    public static void Initialize()
    {
        int every = int.TryParse(Environment.GetEnvironmentVariable("GC_PRESSURE_EVERY"), out var n) && n > 0 ? n : 64;
        var thread = new Thread(() => Loop(every)) { IsBackground = true, Name = "gc-pressure" };
        thread.Start();
    }

    private static void Loop(int every)
    {
        var keep = new byte[32][];
        var rng = new Random(1);
        for (long i = 0; ; i++)
        {
            keep[i & 31] = new byte[rng.Next(16, 256 * 1024)];
            if (i % every == 0)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        }
    }
}
