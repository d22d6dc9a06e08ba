using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MusicGen.Core.Packaging;
using MusicGen.Inference;
using MusicGen.Listening;
using MusicGen.Server.Models;

namespace MusicGen.Server.Listening;

/// <summary>Composition of the blind listening test: <c>AddListeningTest</c> and <c>MapListeningTest</c> in Program.cs.</summary>
public static class ListeningRegistration
{
    /// <summary>
    /// Registers the listening test with its options (section <c>MusicGen:Listening</c>) validated at start. When
    /// <see cref="ListeningOptions.RealMidiPath"/> is unset the test is off and its endpoints answer 404.
    /// </summary>
    public static IServiceCollection AddListeningTest(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ListeningOptions>()
            .Bind(configuration.GetSection(ListeningOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ListeningOptions>, ListeningOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IClipRenderer, NoteEventRenderer>();
        services.AddSingleton<ListeningGenerator>();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<ListeningOptions>>().Value;
            if (!o.Enabled) return new ListeningTest(null);
            var folder = RealMidiFolder.Open(o.RealMidiPath!, sp.GetRequiredService<ILoggerFactory>().CreateLogger<RealMidiFolder>());
            var database = ListeningDatabase.CreateAsync(o.DatabasePath, CancellationToken.None).GetAwaiter().GetResult();
            return new ListeningTest(new ListeningService(o, folder, database, sp.GetRequiredService<ListeningGenerator>(),
                sp.GetServices<IClipRenderer>(), sp.GetRequiredService<TimeProvider>()));
        });
        services.AddHostedService<ListeningStartup>();
        return services;
    }

    /// <summary>Maps the listening test's endpoints under <c>/v1/listening</c> (the page is <c>/listen.html</c>).</summary>
    public static void MapListeningTest(this WebApplication app) => ListeningEndpoints.Map(app);
}

/// <summary>Checks the listening options at start: the folder has MIDI files, the models have packages, the database is writable.</summary>
internal sealed class ListeningOptionsValidator(IOptions<ServerOptions> server) : IValidateOptions<ListeningOptions>
{
    public ValidateOptionsResult Validate(string? name, ListeningOptions o)
    {
        if (!o.Enabled) return ValidateOptionsResult.Success;
        var errors = new List<string>();
        var section = ListeningOptions.Section;
        var folder = Path.GetFullPath(o.RealMidiPath!);
        if (!Directory.Exists(folder)) errors.Add($"{section}:RealMidiPath: folder {folder} does not exist");
        else if (RealMidiFolder.List(folder).Count == 0) errors.Add($"{section}:RealMidiPath: folder {folder} has no .mid or .midi file");

        if (o.Models.Count == 0 || o.Models.Any(string.IsNullOrWhiteSpace))
            errors.Add($"{section}:Models: name at least one model (a package name in the models folder), and no blank one");
        else
        {
            var root = ModelLocator.ServiceModelsFolder(server.Value.ModelsPath, out _, out _);
            var known = PackageNames(root);
            foreach (var m in o.Models.Where(m => !known.Contains(m)))
                errors.Add($"{section}:Models: no package named '{m}' in {root} (found: {(known.Count == 0 ? "none" : string.Join(", ", known.Order(StringComparer.Ordinal)))})");
        }

        if (string.IsNullOrWhiteSpace(o.DatabasePath)) errors.Add($"{section}:DatabasePath: give the SQLite file the answers go to");
        else
        {
            try { ListeningDatabase.CreateAsync(o.DatabasePath, CancellationToken.None).GetAwaiter().GetResult(); }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                errors.Add($"{section}:DatabasePath: {ex.Message}");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Model names of the packages directly under the models folder (unreadable manifests are the registry's to report).</summary>
    private static HashSet<string> PackageNames(string root)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(root)) return names;
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            if (!File.Exists(Path.Combine(dir, ModelManifest.FileName))) continue;
            try { names.Add(ModelManifest.Load(dir).Name); }
            catch (Exception ex) when (ex is IOException or InvalidDataException or System.Text.Json.JsonException or ModelPackageException) { }
        }
        return names;
    }
}

/// <summary>Builds the listening test at start (reads the real folder once), so a bad folder stops the service at once.</summary>
internal sealed class ListeningStartup(ListeningTest test) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = test.Service; // built by the constructor: the folder was read and the database opened
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The listening test when configured (<see cref="Service"/> null when it is off).</summary>
internal sealed class ListeningTest(ListeningService? service)
{
    public ListeningService? Service { get; } = service;
}
