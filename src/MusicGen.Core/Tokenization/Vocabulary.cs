namespace MusicGen.Core.Tokenization;

/// <summary>An immutable id &lt;-&gt; name table; ids are list positions.</summary>
public sealed class Vocabulary
{
    private readonly string[] _names;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Creates the table; names must be distinct.</summary>
    public Vocabulary(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        _names = names.ToArray();
        _ids = new Dictionary<string, int>(_names.Length, StringComparer.Ordinal);
        for (var i = 0; i < _names.Length; i++)
        {
            if (!_ids.TryAdd(_names[i], i))
            {
                throw new ArgumentException($"Duplicate token name '{_names[i]}' at id {i}.", nameof(names));
            }
        }
    }

    /// <summary>Number of tokens.</summary>
    public int Count => _names.Length;

    /// <summary>All names in id order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Name of an id.</summary>
    public string Name(int id) =>
        (uint)id < (uint)_names.Length
            ? _names[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id outside the vocabulary of {_names.Length}.");

    /// <summary>Id of a name.</summary>
    public int Id(string name) =>
        _ids.TryGetValue(name, out var id) ? id : throw new KeyNotFoundException($"Unknown token name '{name}'.");

    /// <summary>Id of a name, or false.</summary>
    public bool TryGetId(string name, out int id) => _ids.TryGetValue(name, out id);
}
