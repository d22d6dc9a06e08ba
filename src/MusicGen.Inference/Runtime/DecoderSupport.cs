using Microsoft.ML.OnnxRuntime;

namespace MusicGen.Inference.Runtime;

/// <summary>Argument checks every <see cref="IBatchDecoder"/> applies the same way.</summary>
internal static class DecoderChecks
{
    /// <summary>Throws when no row is free, or the prompt is empty or longer than a row holds.</summary>
    public static void Prefill(int count, int capacity, int maxLength, ReadOnlySpan<int> tokens)
    {
        if (count == capacity) throw new InvalidOperationException($"All {capacity} rows are in use.");
        if (tokens.IsEmpty) throw new ArgumentException("A prompt needs at least one token.", nameof(tokens));
        if (tokens.Length > maxLength)
            throw new ArgumentException($"The prompt has {tokens.Length} tokens but a row holds at most {maxLength}.", nameof(tokens));
    }

    /// <summary>Throws unless a decode step got exactly one token per row.</summary>
    public static void Decode(int count, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length != count) throw new ArgumentException($"Expected {count} tokens (one per row), got {tokens.Length}.", nameof(tokens));
    }

    /// <summary>Throws for row <paramref name="row"/> that already holds <paramref name="maxLength"/> tokens.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowRowFull(int row, int maxLength) => throw new InvalidOperationException($"Row {row} is full ({maxLength} tokens).");
}

/// <summary>
/// An <see cref="OrtIoBinding"/> together with the <see cref="OrtValue"/>s bound to it (views of the decoders' native
/// buffers), disposed together. The decoders make one per batch size, so a step reuses it and allocates nothing.
/// </summary>
internal sealed class OwnedBinding : IDisposable
{
    private readonly List<OrtValue> _values = [];

    public OwnedBinding(InferenceSession session) => Binding = session.CreateIoBinding();

    public OrtIoBinding Binding { get; }

    /// <summary>Takes ownership of <paramref name="value"/> (disposed with this binding) and returns it.</summary>
    public OrtValue Own(OrtValue value)
    {
        _values.Add(value);
        return value;
    }

    /// <summary>Owns <paramref name="value"/> and binds it as the input or output <paramref name="name"/>.</summary>
    public void Bind(bool input, string name, OrtValue value)
    {
        Own(value);
        if (input) Binding.BindInput(name, value);
        else Binding.BindOutput(name, value);
    }

    public void Dispose()
    {
        Binding.Dispose();
        foreach (var v in _values) v.Dispose();
    }
}
