using System.Text.Json;
using System.Text.Json.Nodes;

namespace MusicGen.Core.Tokenization;

/// <summary>
/// Reads and writes tokenizer configurations. The JSON holds <c>kind</c>, <c>version</c>, the configuration and
/// the full <c>vocabulary</c> (id order); reading rebuilds the tokenizer from the configuration and checks that it
/// yields exactly that vocabulary.
/// </summary>
public static class TokenizerJson
{
    /// <summary>The configuration format version written.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = false,
    };

    // Reading refuses a setting this build does not know: a configuration written by a newer build (say, one with a
    // note order this build cannot follow) would otherwise load and encode, decode and mask by other rules, silently.
    private static readonly JsonSerializerOptions StrictOptions = new(Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    // Fields of the JSON that are not settings of the kind's configuration.
    private static readonly string[] Envelope = ["kind", "version", "vocabulary"];

    /// <summary>The known kinds.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [RemiTokenizer.KindName, PerformanceTokenizer.KindName, ChoraleTokenizer.KindName];

    /// <summary>Rebuilds a tokenizer of any kind from its <see cref="IMusicTokenizer.ToJson"/> text.</summary>
    /// <exception cref="FormatException">The JSON is malformed, of an unknown kind, or its vocabulary differs from the rebuilt one.</exception>
    public static IMusicTokenizer FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("Tokenizer JSON must be an object.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"Tokenizer JSON is malformed: {e.Message}", e);
        }

        return FromJson(obj);
    }

    /// <summary>Rebuilds a tokenizer from a parsed JSON object (e.g. the <c>tokenizer</c> node of a model manifest).</summary>
    public static IMusicTokenizer FromJson(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var kind = obj["kind"]?.GetValue<string>() ?? throw new FormatException("Tokenizer JSON has no 'kind'.");
        var version = obj["version"]?.GetValue<int>() ?? FormatVersion;
        if (version != FormatVersion)
        {
            throw new FormatException($"Tokenizer JSON version {version} is not supported (expected {FormatVersion}).");
        }

        IMusicTokenizer tokenizer;
        try
        {
            tokenizer = kind switch
            {
                RemiTokenizer.KindName => new RemiTokenizer(Read<RemiConfig>(obj)),
                PerformanceTokenizer.KindName => new PerformanceTokenizer(Read<PerformanceConfig>(obj)),
                ChoraleTokenizer.KindName => new ChoraleTokenizer(Read<ChoraleConfig>(obj)),
                _ => throw new FormatException($"Unknown tokenizer kind '{kind}' (known: {string.Join(", ", Kinds)})."),
            };
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"Tokenizer JSON of kind '{kind}' has an invalid configuration: {e.Message}", e);
        }

        if (obj["vocabulary"] is JsonArray names)
        {
            if (names.Count != tokenizer.VocabularySize)
            {
                throw new FormatException(
                    $"Tokenizer JSON lists {names.Count} tokens but its configuration builds {tokenizer.VocabularySize}.");
            }

            for (var i = 0; i < names.Count; i++)
            {
                var name = names[i]?.GetValue<string>();
                if (name != tokenizer.TokenName(i))
                {
                    throw new FormatException(
                        $"Tokenizer JSON vocabulary differs at id {i}: listed '{name}', rebuilt '{tokenizer.TokenName(i)}'.");
                }
            }
        }

        return tokenizer;
    }

    /// <summary>Creates a tokenizer of a kind with its default configuration.</summary>
    public static IMusicTokenizer CreateDefault(string kind) => kind switch
    {
        RemiTokenizer.KindName => new RemiTokenizer(),
        PerformanceTokenizer.KindName => new PerformanceTokenizer(),
        ChoraleTokenizer.KindName => new ChoraleTokenizer(),
        _ => throw new ArgumentException($"Unknown tokenizer kind '{kind}' (known: {string.Join(", ", Kinds)}).", nameof(kind)),
    };

    internal static string Write<TConfig>(string kind, TConfig config, Vocabulary vocabulary)
    {
        var obj = new JsonObject
        {
            ["kind"] = kind,
            ["version"] = FormatVersion,
        };
        var configNode = JsonSerializer.SerializeToNode(config, Options)!.AsObject();
        foreach (var (key, value) in configNode.ToList())
        {
            configNode.Remove(key);
            obj[key] = value;
        }

        var names = new JsonArray();
        foreach (var name in vocabulary.Names)
        {
            names.Add(name);
        }

        obj["vocabulary"] = names;
        return obj.ToJsonString(Options);
    }

    private static T Read<T>(JsonObject obj)
    {
        try
        {
            var settings = new JsonObject();
            foreach (var (name, value) in obj)
            {
                if (!Envelope.Contains(name, StringComparer.Ordinal))
                {
                    settings[name] = value?.DeepClone();
                }
            }

            return settings.Deserialize<T>(StrictOptions) ?? throw new FormatException($"Tokenizer JSON could not be read as {typeof(T).Name}.");
        }
        catch (JsonException e)
        {
            var unknown = e.Path is { Length: > 2 } path ? $" '{path[2..]}' is not a setting this build knows (a configuration written by a newer MusicGen?)" : "";
            throw new FormatException($"Tokenizer JSON could not be read as {typeof(T).Name}:{unknown} {e.Message}", e);
        }
    }
}
