using System.CommandLine;
using System.Globalization;
using MusicGen.Inference;
using MusicGen.Inference.Errors;

namespace MusicGen.Cli.Commands;

/// <summary>
/// The <c>generate</c> flags, one per option of <see cref="GenerationOptions.All"/> (flag, description, default and
/// limits come from there, so a new option shows up here by itself), and their reading into a request.
/// </summary>
internal sealed class GenerationFlags
{
    private readonly List<(GenerationOption Option, Option Flag)> _flags = [];

    /// <summary>Flags for every option (<c>generate</c>), or for those <paramref name="include"/> accepts.</summary>
    public GenerationFlags(Func<GenerationOption, bool>? include = null)
    {
        foreach (var o in GenerationOptions.All.Where(include ?? (_ => true)))
        {
            var description = o.Description + (o.RangeText is { } r && o.Name != "seed" ? $" Allowed: {r}." : "");
            Option flag = o.Kind switch
            {
                GenerationOptionKind.Boolean => new Option<bool>(o.Flag) { Description = description, DefaultValueFactory = _ => o.Default is true },
                GenerationOptionKind.TextList or GenerationOptionKind.TokenBias => new Option<string[]>(o.Flag) { Description = description, AllowMultipleArgumentsPerToken = true },
                GenerationOptionKind.Midi => new Option<FileInfo?>(o.Flag) { Description = description },
                _ => new Option<string?>(o.Flag)
                {
                    Description = description + (o.Default is { } d ? $" Default: {Convert.ToString(d, CultureInfo.InvariantCulture)}." : ""),
                    HelpName = o.Kind == GenerationOptionKind.Text ? "text" : "number",
                },
            };
            _flags.Add((o, flag));
        }
    }

    /// <summary>The flags, to add to a command.</summary>
    public IEnumerable<Option> Options => _flags.Select(f => f.Flag);

    /// <summary>The CLI flag of an option name (<c>topP</c> → <c>--top-p</c>), or the name itself.</summary>
    public static string FlagOf(string name) => GenerationOptions.Find(name)?.Flag ?? name;

    /// <summary>
    /// Reads the flags into a request. Throws <see cref="InvalidGenerationRequestException"/> with a message per bad
    /// flag (naming the flag and what it takes, in words).
    /// </summary>
    public GenerationRequest Read(ParseResult parse)
    {
        var request = new GenerationRequest();
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (o, flag) in _flags)
        {
            string? error = null;
            switch (flag)
            {
                case Option<bool> b:
                    error = GenerationOptionReader.Apply(request, o, parse.GetValue(b) ? "true" : "false", o.Flag);
                    break;
                case Option<string[]> list when parse.GetValue(list) is { Length: > 0 } values:
                    error = GenerationOptionReader.Apply(request, o, string.Join(' ', values), o.Flag);
                    break;
                case Option<FileInfo?> file when parse.GetValue(file) is { } f:
                    request.PrimerMidi = File.ReadAllBytes(f.FullName); // an empty file is refused by the engine, naming the primer
                    break;
                case Option<string?> text when parse.GetValue(text) is { } value:
                    error = GenerationOptionReader.Apply(request, o, value, o.Flag);
                    break;
            }
            if (error is not null) errors[o.Name] = error;
        }
        if (errors.Count > 0) throw new InvalidGenerationRequestException(errors);
        return request;
    }

    /// <summary>One line per problem, each naming its flag (never a .NET parameter name).</summary>
    public static IEnumerable<string> Describe(ArgumentException e)
    {
        if (e is InvalidGenerationRequestException invalid)
        {
            foreach (var (name, message) in invalid.Errors)
            {
                var flag = FlagOf(name);
                yield return message.StartsWith(flag, StringComparison.Ordinal) ? message
                    : message.StartsWith(name, StringComparison.Ordinal) ? flag + message[name.Length..]
                    : $"{flag}: {message}";
            }
            yield break;
        }
        var text = e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
        if (e.ParamName is not { } param || GenerationOptions.Find(param) is not { } option) yield return text;
        else yield return text.StartsWith(param + ":", StringComparison.Ordinal) ? option.Flag + text[param.Length..] : $"{option.Flag}: {text}";
    }
}
