namespace MusicGen.Server.Engine;

internal static class EngineRegistration
{
    /// <summary>Registers the model loader backed by MusicGen.Inference.</summary>
    public static IServiceCollection AddMusicGenEngine(this IServiceCollection services, IConfiguration configuration)
    {
        // Wired to MusicGen.Inference as soon as its batch decode API lands; until then every package is rejected
        // with this reason (the service still starts, lists rejected packages and answers 503 for generation).
        services.AddSingleton<IModelLoader, UnavailableEngineLoader>();
        _ = configuration;
        return services;
    }

    private sealed class UnavailableEngineLoader : IModelLoader
    {
        public IModelRuntime Load(string directory) =>
            throw new NotSupportedException("this build has no inference engine yet (MusicGen.Inference batch decode API pending)");
    }
}
