using Microsoft.Extensions.Options;
using MusicGen.Inference;

namespace MusicGen.Server.Engine;

internal static class EngineRegistration
{
    /// <summary>Configuration section of the engine's <see cref="InferenceOptions"/> (threads, provider, graph).</summary>
    public const string Section = "MusicGen:Inference";

    /// <summary>Registers the model loader backed by MusicGen.Inference, with options validated at start.</summary>
    public static IServiceCollection AddMusicGenEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InferenceOptions>()
            .Bind(configuration.GetSection(Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<InferenceOptions>, InferenceOptionsValidator>();
        services.AddSingleton<IModelLoader>(sp => new InferenceModelLoader(
            sp.GetRequiredService<IOptions<InferenceOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        return services;
    }
}
