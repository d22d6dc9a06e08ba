using Microsoft.Extensions.Options;

namespace MusicGen.Server.Models;

/// <summary>
/// Drives the registry: the first scan at start, then a rescan after file changes under the models folder
/// (FileSystemWatcher, debounced until the folder is quiet), when a package still being copied has settled
/// (<see cref="ServerOptions.PackageSettleTime"/>), and periodically (a watcher can miss events, e.g. on network file
/// systems, and a folder created later is picked up).
/// </summary>
internal sealed class ModelWatcher(ModelRegistry registry, IOptions<ServerOptions> options, ILogger<ModelWatcher> log) : BackgroundService
{
    private readonly ServerOptions _options = options.Value;
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);
    private long _lastEvent;
    private FileSystemWatcher? _watcher;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        log.LogInformation("Watching {Root} for model packages", registry.Root);
        while (!stoppingToken.IsCancellationRequested)
        {
            EnsureWatcher();
            var wait = _options.RescanInterval;
            try
            {
                // A package still being copied is looked at again once it has settled (or at the next change).
                if (await registry.ScanAsync(stoppingToken) is { } settling && settling < wait) wait = settling;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                log.LogError(ex, "Scanning {Root} failed; retrying at the next change or rescan", registry.Root);
            }

            try
            {
                var signalled = await _changed.WaitAsync(wait, stoppingToken);
                if (signalled) await DebounceAsync(stoppingToken);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task DebounceAsync(CancellationToken cancel)
    {
        // Wait until no event arrived for ChangeDebounce, so a copy in progress is looked at once, when complete.
        while (true)
        {
            while (_changed.CurrentCount > 0) await _changed.WaitAsync(cancel);
            var since = TimeSpan.FromTicks(DateTime.UtcNow.Ticks - Interlocked.Read(ref _lastEvent));
            if (since >= _options.ChangeDebounce) return;
            await Task.Delay(_options.ChangeDebounce - since, cancel);
        }
    }

    private void EnsureWatcher()
    {
        if (_watcher is not null || !Directory.Exists(registry.Root)) return;
        try
        {
            var w = new FileSystemWatcher(registry.Root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            w.Changed += OnEvent;
            w.Created += OnEvent;
            w.Deleted += OnEvent;
            w.Renamed += OnEvent;
            w.Error += (_, e) => { log.LogWarning(e.GetException(), "File watcher error; the periodic rescan covers it"); OnEvent(this, null); };
            w.EnableRaisingEvents = true;
            _watcher = w;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            log.LogWarning(ex, "Cannot watch {Root}; relying on the periodic rescan", registry.Root);
        }
    }

    private void OnEvent(object? sender, FileSystemEventArgs? e)
    {
        Interlocked.Exchange(ref _lastEvent, DateTime.UtcNow.Ticks);
        _changed.Release();
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        _changed.Dispose();
        base.Dispose();
    }
}
