using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using MusicGen.Inference;
using MusicGen.Server.Telemetry;

namespace MusicGen.Server.Models;

/// <summary>A package folder the registry refused (its name under the models folder), and why.</summary>
/// <param name="Folder">The package folder's name under the models folder.</param>
/// <param name="Reason">Why it was refused (manifest, checksum, load or smoke-test failure).</param>
/// <param name="WhenUtc">When it was refused.</param>
internal sealed record RejectedPackage(string Folder, string Reason, DateTimeOffset WhenUtc);

/// <summary>One version of a model as listed by the API.</summary>
/// <param name="Version">The version, as its package names it.</param>
/// <param name="State">active, standby (loaded, kept for rollback), draining (unloads once its requests end), unloaded, available (on disk, not loaded) or rejected.</param>
/// <param name="Architecture">transformer or lstm (when loaded).</param>
/// <param name="ContextLength">Longest sequence in tokens, prompt included (when loaded).</param>
/// <param name="Tokenizer">Token kind: remi, performance or chorale (when loaded).</param>
/// <param name="InFlight">Requests using this version now.</param>
/// <param name="Folder">Its folder's name under the models folder (never a server path).</param>
/// <param name="LoadedUtc">When it was loaded.</param>
internal sealed record ModelVersionInfo(
    string Version, string State, string? Architecture, int? ContextLength, string? Tokenizer, int InFlight,
    string Folder, DateTimeOffset? LoadedUtc);

/// <summary>One model name as listed by the API: the active version's details plus every version known.</summary>
/// <param name="Name">The model name requests use.</param>
/// <param name="Version">The active version, if any.</param>
/// <param name="Architecture">transformer or lstm.</param>
/// <param name="ContextLength">Longest sequence in tokens, prompt included.</param>
/// <param name="Tokenizer">Token kind: remi, performance or chorale.</param>
/// <param name="State">active when a version serves the name, else unavailable.</param>
/// <param name="IsDefault">True for the model a request that names none gets.</param>
/// <param name="Versions">Every version known, loaded or on disk.</param>
internal sealed record ModelInfo(
    string Name, string? Version, string? Architecture, int? ContextLength, string? Tokenizer, string State,
    bool IsDefault, IReadOnlyList<ModelVersionInfo> Versions);

/// <summary>Result of an activation (rollback) request.</summary>
internal enum ActivationOutcome { Activated, UnknownModel, UnknownVersion, Failed }

/// <summary>
/// Keeps the model versions found under the models folder. A new or changed package folder is loaded, checked
/// (manifest, sha256 via the loader, a short smoke generation) and only then becomes the active version of its name;
/// a bad one is rejected with a logged reason and the previous version keeps serving. Versions that are replaced
/// stay loaded as standby (<see cref="ServerOptions.RetainedVersions"/>) for instant rollback; older ones drain and
/// unload. Unloaded versions whose folder is still on disk stay available for activation.
/// </summary>
internal sealed class ModelRegistry : IDisposable
{
    private readonly InferenceOptions _engine;
    private readonly ILoggerFactory _loggers;
    private readonly ServerOptions _options;
    private readonly ILogger<ModelRegistry> _log;
    private readonly ServerMetrics _metrics;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _loadLock = new(1, 1); // ONNX Runtime session creation one at a time
    private readonly Dictionary<string, Entry> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PackageFolder> _disk = new(StringComparer.Ordinal); // by full directory path
    private readonly List<RejectedPackage> _rejected = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<MusicModel, ModelVersion> _byModel = new();
    private bool _initialScanDone;

    public ModelRegistry(IOptions<InferenceOptions> engine, ILoggerFactory loggers, IOptions<ServerOptions> options, ILogger<ModelRegistry> log, ServerMetrics metrics)
    {
        _engine = engine.Value;
        _loggers = loggers;
        _options = options.Value;
        _log = log;
        _metrics = metrics;
        Root = ModelLocator.ServiceModelsFolder(_options.ModelsPath, out var tried, out var found);
        if (!found)
            _log.LogWarning("No model package found; looked in {Folders}. /readyz reports not ready until one appears in {Root}.", string.Join(", ", tried), Root);
        metrics.SetVersionSource(MeasureVersions);
    }

    /// <summary>Full path of the models folder.</summary>
    public string Root { get; }

    /// <summary>Raised after a scan or activation changed what is served.</summary>
    public event Action? Changed;

    /// <summary>Name served when a request names none (configured, else the first active name).</summary>
    public string? DefaultModel
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(_options.DefaultModel)) return _options.DefaultModel;
            lock (_gate) return _models.Where(m => m.Value.Active is not null).Select(m => m.Key).Order(StringComparer.Ordinal).FirstOrDefault();
        }
    }

    /// <summary>True once the first scan finished and the default model is active (so it was loaded and smoke-tested).</summary>
    public bool IsReady
    {
        get
        {
            var name = DefaultModel;
            lock (_gate) return _initialScanDone && name is not null && _models.TryGetValue(name, out var e) && e.Active is not null;
        }
    }

    /// <summary>Packages rejected so far (most recent last).</summary>
    public IReadOnlyList<RejectedPackage> Rejected { get { lock (_gate) return [.. _rejected]; } }

    /// <summary>Names with an active version.</summary>
    public IReadOnlyList<string> Names { get { lock (_gate) return [.. _models.Where(m => m.Value.Active is not null).Select(m => m.Key).Order(StringComparer.Ordinal)]; } }

    /// <summary>Takes a reference on the active version of <paramref name="name"/> (caller releases), or null.</summary>
    public ModelVersion? AcquireActive(string name)
    {
        lock (_gate)
        {
            if (!_models.TryGetValue(name, out var e) || e.Active is not { } v) return null;
            return v.TryAcquire() ? v : null;
        }
    }

    /// <summary>The loaded version (active or standby) of a name and version, or null.</summary>
    public ModelVersion? FindLoaded(string name, string version)
    {
        lock (_gate) return _models.TryGetValue(name, out var e) ? e.Loaded.FirstOrDefault(v => v.Version == version) : null;
    }

    /// <summary>Every model name with its versions.</summary>
    public IReadOnlyList<ModelInfo> List()
    {
        var def = DefaultModel;
        lock (_gate)
        {
            var names = _models.Keys.Concat(_disk.Values.Select(d => d.Name)).Distinct().Order(StringComparer.Ordinal);
            var list = new List<ModelInfo>();
            foreach (var name in names)
            {
                _models.TryGetValue(name, out var e);
                var versions = new List<ModelVersionInfo>();
                foreach (var v in e?.Loaded ?? [])
                {
                    var d = v.Description;
                    versions.Add(new(v.Version, StateName(v.State), d.Architecture, d.ContextLength, d.Tokenizer, v.InFlight, Path.GetFileName(v.Directory), v.LoadedUtc));
                }
                foreach (var v in e?.Draining ?? [])
                {
                    var d = v.Description;
                    versions.Add(new(v.Version, StateName(v.State), d.Architecture, d.ContextLength, d.Tokenizer, v.InFlight, Path.GetFileName(v.Directory), v.LoadedUtc));
                }
                foreach (var d in _disk.Values.Where(d => d.Name == name && d.Fingerprint is not null && !versions.Any(x => x.Version == d.Version)))
                    versions.Add(new(d.Version, d.Rejected ? "rejected" : "available", null, null, null, 0, Path.GetFileName(d.Directory), null));
                var a = e?.Active;
                list.Add(new(name, a?.Version, a?.Description.Architecture, a?.Description.ContextLength, a?.Description.Tokenizer,
                    a is null ? "unavailable" : "active", name == def, versions));
            }
            return list;
        }
    }

    /// <summary>
    /// Looks at the models folder: loads, checks and activates new or changed packages whose copy is complete, that
    /// is, whose folder and files were not modified for <see cref="ServerOptions.PackageSettleTime"/> (a copy in
    /// progress is neither loaded nor counted as rejected). Returns when to look again for a package still settling
    /// (null when none is).
    /// </summary>
    public async Task<TimeSpan?> ScanAsync(CancellationToken cancel)
    {
        var found = PackageFolders.Find(Root);
        var initial = !_initialScanDone;
        var now = DateTime.UtcNow;
        TimeSpan? again = null;
        List<(string Dir, string Name, string Version, string Fingerprint)> toLoad = [];
        lock (_gate)
        {
            foreach (var gone in _disk.Keys.Where(k => !found.ContainsKey(k)).ToList())
            {
                _log.LogInformation("Package folder {Directory} disappeared", gone);
                _disk.Remove(gone);
            }
            foreach (var (dir, pkg) in found)
            {
                if (_disk.TryGetValue(dir, out var known) && known.Fingerprint == pkg.Fingerprint && known.Seen) continue;
                var settling = PackageFolders.SettlingFor(pkg, now, _options.PackageSettleTime);
                if (settling > TimeSpan.Zero)
                {
                    if (again is null || settling < again) again = settling;
                    _log.LogDebug("Package folder {Directory} changed {Age} ago; looked at once it settles", dir, now - pkg.LastWriteUtc);
                    continue;
                }
                _disk[dir] = pkg with { Seen = true };
                if (pkg.Fingerprint is null) { Reject(dir, pkg.Error ?? "unreadable manifest"); continue; }
                toLoad.Add((dir, pkg.Name, pkg.Version, pkg.Fingerprint));
            }
        }

        if (initial)
        {
            // At start only one folder per name is loaded: the one named exactly like the model, else the highest
            // version; the others (e.g. onnx/<name>@<version>/) are listed as available for activation.
            toLoad = [.. toLoad.GroupBy(p => p.Name).Select(g =>
                g.FirstOrDefault(p => Path.GetFileName(p.Dir) == g.Key) is { Dir: not null } plain ? plain
                : g.OrderBy(p => p.Version, VersionComparer.Instance).Last())];
        }

        foreach (var p in toLoad.OrderBy(p => p.Dir, StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            await LoadAndActivateAsync(p.Dir, p.Fingerprint, cancel).ConfigureAwait(false);
        }
        lock (_gate) _initialScanDone = true;
        Changed?.Invoke();
        return again;
    }

    /// <summary>Makes <paramref name="version"/> the active version of <paramref name="name"/> (rollback), loading it if needed.</summary>
    public async Task<(ActivationOutcome Outcome, string? Error)> ActivateAsync(string name, string version, CancellationToken cancel)
    {
        PackageFolder? disk;
        lock (_gate)
        {
            var loaded = _models.TryGetValue(name, out var e) ? e.Loaded.FirstOrDefault(v => v.Version == version) : null;
            if (loaded is not null)
            {
                MakeActive(e!, loaded);
                _log.LogInformation("Activated {Model} version {Version} (already loaded)", name, version);
                Changed?.Invoke();
                return (ActivationOutcome.Activated, null);
            }
            disk = _disk.Values.Where(d => d.Name == name && d.Version == version && d.Fingerprint is not null && !d.Rejected).OrderBy(d => d.Directory, StringComparer.Ordinal).FirstOrDefault();
            if (disk is null)
                return (e is null && !_disk.Values.Any(d => d.Name == name)) ? (ActivationOutcome.UnknownModel, null) : (ActivationOutcome.UnknownVersion, null);
        }
        var error = await LoadAndActivateAsync(disk.Directory, disk.Fingerprint!, cancel).ConfigureAwait(false);
        return error is null ? (ActivationOutcome.Activated, null) : (ActivationOutcome.Failed, error);
    }

    private async Task<string?> LoadAndActivateAsync(string dir, string fingerprint, CancellationToken cancel)
    {
        await _loadLock.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            MusicModel? runtime = null;
            try
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                runtime = await Task.Run(() => MusicModel.Load(dir, _engine, _loggers.CreateLogger<MusicModel>()), cancel).ConfigureAwait(false);
                var loadSeconds = sw.Elapsed.TotalSeconds;
                await Task.Run(() => SmokeTest(runtime), cancel).ConfigureAwait(false);
                var version = new ModelVersion(runtime, dir, fingerprint, OnUnloaded);
                _byModel[runtime] = version;
                lock (_gate)
                {
                    if (!_models.TryGetValue(version.Name, out var e)) _models[version.Name] = e = new Entry();
                    // A reload of the same version (changed files) replaces the loaded one.
                    var same = e.Loaded.FirstOrDefault(v => v.Version == version.Version);
                    if (same is not null) { e.Loaded.Remove(same); e.Draining.Add(same); same.Retire(); }
                    e.Loaded.Insert(0, version);
                    MakeActive(e, version);
                }
                _metrics.Package("loaded");
                _log.LogInformation("Loaded {Model} version {Version} from {Directory} ({Architecture}, context {Context}) in {Seconds:F2}s; smoke test passed; now active",
                    version.Name, version.Version, dir, version.Description.Architecture, version.Description.ContextLength, loadSeconds);
                Changed?.Invoke();
                return null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                runtime?.Dispose();
                var reason = ex.Message;
                lock (_gate)
                {
                    Reject(dir, reason);
                    if (_disk.TryGetValue(dir, out var d) && d.Fingerprint == fingerprint) _disk[dir] = d with { Rejected = true };
                }
                return reason;
            }
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>A short generation through a batch of one, decoded and written as MIDI: the package really works.</summary>
    private void SmokeTest(MusicModel model)
    {
        using var batch = model.CreateBatch(1);
        var seq = model.CreateSequence(new GenerationRequest { MaxTokens = _options.SmokeTokens, Seed = 1 });
        batch.Add(seq);
        while (batch.Count > 0) batch.Step();
        if (seq.GeneratedCount == 0) throw new InvalidOperationException("smoke test: the model generated no token");
        _ = seq.ToResult().Midi;
    }

    private void Reject(string dir, string reason)
    {
        // The API names folders under the models folder, never the server's paths (the log keeps the full reason).
        var shown = reason.Replace(Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
        _rejected.Add(new RejectedPackage(Path.GetFileName(dir), shown, DateTimeOffset.UtcNow));
        if (_rejected.Count > 50) _rejected.RemoveAt(0);
        _metrics.Package("rejected");
        _log.LogWarning("Rejected model package {Directory}: {Reason}; the previous version (if any) keeps serving", dir, reason);
    }

    // Under _gate.
    private void MakeActive(Entry e, ModelVersion v)
    {
        if (e.Active is { } old && old != v) old.State = VersionState.Standby;
        e.Active = v;
        v.State = VersionState.Active;
        e.Loaded.Remove(v);
        e.Loaded.Insert(0, v);
        while (e.Loaded.Count > 1 + _options.RetainedVersions)
        {
            var drop = e.Loaded[^1];
            e.Loaded.RemoveAt(e.Loaded.Count - 1);
            e.Draining.Add(drop);
            _log.LogInformation("Retiring {Model} version {Version}: unloads once its {InFlight} request(s) finish", drop.Name, drop.Version, drop.InFlight);
            drop.Retire();
        }
    }

    /// <summary>The loaded version that serves <paramref name="model"/>, or null once it unloaded.</summary>
    public ModelVersion? VersionOf(MusicModel model) => _byModel.GetValueOrDefault(model);

    private void OnUnloaded(ModelVersion v)
    {
        _byModel.TryRemove(v.Model, out _);
        lock (_gate)
            if (_models.TryGetValue(v.Name, out var e)) e.Draining.Remove(v);
        _log.LogInformation("Unloaded {Model} version {Version} (drained)", v.Name, v.Version);
        Changed?.Invoke();
    }

    private IEnumerable<Measurement<int>> MeasureVersions()
    {
        lock (_gate)
        {
            var list = new List<Measurement<int>>();
            foreach (var (name, e) in _models)
            {
                foreach (var g in e.Loaded.Concat(e.Draining).GroupBy(v => v.State))
                    list.Add(new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("model", name), new KeyValuePair<string, object?>("state", StateName(g.Key))));
            }
            return list;
        }
    }

    private static string StateName(VersionState s) => s switch
    {
        VersionState.Active => "active",
        VersionState.Standby => "standby",
        VersionState.Draining => "draining",
        _ => "unloaded",
    };

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var e in _models.Values)
                foreach (var v in e.Loaded.ToList()) v.Retire();
            _models.Clear();
        }
        _loadLock.Dispose();
    }

    private sealed class Entry
    {
        public ModelVersion? Active;
        public readonly List<ModelVersion> Loaded = []; // active first, then standby, newest first
        public readonly List<ModelVersion> Draining = [];
    }
}
