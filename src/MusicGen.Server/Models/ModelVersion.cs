using MusicGen.Inference;

namespace MusicGen.Server.Models;

/// <summary>Lifecycle of a loaded version.</summary>
internal enum VersionState
{
    /// <summary>Serving new requests of its name.</summary>
    Active,
    /// <summary>Loaded and kept for rollback; serves requests that started on it.</summary>
    Standby,
    /// <summary>No longer kept; unloads once its last request ends.</summary>
    Draining,
    /// <summary>Unloaded (its ONNX sessions are released).</summary>
    Unloaded,
}

/// <summary>What the service shows about a loaded package.</summary>
internal sealed record ModelDescription(
    string Name, string Version, string Architecture, int ContextLength, string Tokenizer, int VocabularySize, string Graph, string Provider);

/// <summary>
/// One loaded version of a model: its engine model plus a reference count. The registry holds one reference while it
/// keeps the version; each request holds one from admission to its last token. The runtime is disposed when the
/// count reaches zero after the registry let go, so in-flight requests always finish on the version they started with.
/// </summary>
internal sealed class ModelVersion
{
    private readonly Action<ModelVersion> _onUnloaded;
    private int _refs = 1; // the registry's own reference
    private int _requests;
    private int _released;

    public ModelVersion(MusicModel model, string directory, string fingerprint, Action<ModelVersion> onUnloaded)
    {
        Model = model;
        var p = model.Package;
        Description = new ModelDescription(p.Name, p.Version, p.Architecture, model.MaxSequenceLength, model.Tokenizer.Kind,
            p.VocabularySize, model.DefaultVariant, model.ExecutionProvider);
        Directory = directory;
        Fingerprint = fingerprint;
        _onUnloaded = onUnloaded;
        LoadedUtc = DateTimeOffset.UtcNow;
    }

    /// <summary>The loaded package (sessions, tokenizer); disposed when the version unloads.</summary>
    public MusicModel Model { get; }

    public ModelDescription Description { get; }

    public string Name => Description.Name;

    public string Version => Description.Version;

    /// <summary>Package folder it was loaded from.</summary>
    public string Directory { get; }

    /// <summary>Identity of the files it was loaded from (manifest hash + sizes and times).</summary>
    public string Fingerprint { get; }

    public DateTimeOffset LoadedUtc { get; }

    public VersionState State { get; set; } = VersionState.Standby;

    /// <summary>Requests holding this version now (from submission to their last token).</summary>
    public int InFlight => Volatile.Read(ref _requests);

    /// <summary>
    /// Takes a reference (for a request, or with <paramref name="request"/> false for a scheduler batch); false when
    /// the version already unloaded.
    /// </summary>
    public bool TryAcquire(bool request = true)
    {
        while (true)
        {
            var n = Volatile.Read(ref _refs);
            if (n == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, n + 1, n) == n)
            {
                if (request) Interlocked.Increment(ref _requests);
                return true;
            }
        }
    }

    /// <summary>Gives a reference back (<paramref name="request"/> as it was taken).</summary>
    public void Release(bool request = true)
    {
        if (request) Interlocked.Decrement(ref _requests);
        if (Interlocked.Decrement(ref _refs) == 0) Unload();
    }

    /// <summary>The registry stops keeping this version: it unloads once drained.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        State = VersionState.Draining;
        Release(request: false);
    }

    private void Unload()
    {
        State = VersionState.Unloaded;
        Model.Dispose();
        _onUnloaded(this);
    }
}
