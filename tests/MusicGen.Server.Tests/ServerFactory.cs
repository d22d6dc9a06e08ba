using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MusicGen.Server.Tests;

/// <summary>The service in-process over a temporary models folder, with settings for the test.</summary>
public sealed class ServerFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public ServerFactory(string modelsPath, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        ModelsPath = modelsPath;
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["MusicGen:ModelsPath"] = modelsPath,
            ["MusicGen:RescanInterval"] = "00:00:00.500",
            ["MusicGen:ChangeDebounce"] = "00:00:00.200",
            ["MusicGen:PackageSettleTime"] = "00:00:00.300",
            ["Logging:LogLevel:Default"] = "Warning",
            ["MusicGen:DefaultModel"] = "",   // appsettings.json names the bundled model; test folders hold others
        };
        foreach (var (k, v) in settings ?? []) _settings[k] = v;
    }

    public string ModelsPath { get; }

    /// <summary>
    /// A pause between building the host and starting it (default none). The entry point runs on its own thread, so a
    /// pause lets it run ahead: the order that, under load, used to turn a start failure into an ObjectDisposedException.
    /// </summary>
    public TimeSpan StartDelay { get; init; }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        if (StartDelay <= TimeSpan.Zero) return base.CreateHost(builder);
        var host = builder.Build();
        Thread.Sleep(StartDelay);
        host.Start();
        return host;
    }

    /// <summary>
    /// Serves over real Kestrel on a free loopback port (then call <c>StartServer</c>). The port is given as the
    /// app's URL setting, not through <c>UseKestrel(0)</c>: that overload rewrites the server's addresses after the
    /// minimal-API app has started binding on its own thread and fails at random with "IServerAddressesFeature.Addresses
    /// cannot be modified after the server has started" (dotnet/aspnetcore#67714).
    /// </summary>
    public void UseKestrelOnLoopback()
    {
        _settings[WebHostDefaults.ServerUrlsKey] = "http://127.0.0.1:0";
        UseKestrel();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        if (_services is not null) builder.ConfigureServices(_services);
    }

    /// <summary>Waits until /readyz answers 200 (the default model loaded and smoke-tested).</summary>
    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = CreateClient();
        await Until(async () => (await client.GetAsync("/readyz")).IsSuccessStatusCode, "the service to become ready");
        return client;
    }

    /// <summary>Polls until the condition holds (hang guard: 60 s).</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, int timeoutSeconds = 60)
    {
        var end = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTime.UtcNow < end)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"timed out waiting for {what}");
    }

    public static async Task<JsonElement> ModelsAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/v1/models"));

    public static string? ActiveVersion(JsonElement models, string name)
    {
        foreach (var m in models.GetProperty("models").EnumerateArray())
            if (m.GetProperty("name").GetString() == name)
                return m.GetProperty("version").ValueKind == JsonValueKind.String ? m.GetProperty("version").GetString() : null;
        return null;
    }
}

/// <summary>A temporary folder removed at the end.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"musicgen-server-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
