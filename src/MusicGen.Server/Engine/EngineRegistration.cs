using MusicGen.Inference;

namespace MusicGen.Server.Engine;

internal static class EngineRegistration
{
    /// <summary>Configuration section of the engine's <see cref="InferenceOptions"/> (threads, provider, graph).</summary>
    public const string Section = "MusicGen:Inference";

    /// <summary>Registers the engine's options, validated at start (the registry loads packages with them).</summary>
    public static IServiceCollection AddMusicGenEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InferenceOptions>()
            .Bind(configuration.GetSection(Section))
            // The server loads every package of its registry, so ModelPath (one package) is not needed here.
            .Validate(o => o.Validate().Count == 0, "invalid MusicGen:Inference options (ExecutionProvider cpu|cuda, threads >= 0, GraphOptimization all|extended|basic|disabled)")
            .ValidateOnStart();
        return services;
    }
}
