namespace MusicGen.Onnx;

/// <summary>Checks shared by the weight containers (<see cref="LstmWeights"/>, <see cref="TransformerWeights"/>).</summary>
internal static class WeightTensors
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> (prefixed with <paramref name="what"/>, e.g. "LSTM weights") when a tensor
    /// of <paramref name="expected"/> is missing from <paramref name="tensors"/> or has the wrong number of values.
    /// </summary>
    public static void CheckAll(string what, IEnumerable<(string Name, int[] Shape)> expected, IReadOnlyDictionary<string, float[]> tensors)
    {
        foreach (var (name, shape) in expected)
        {
            if (!tensors.TryGetValue(name, out var data))
                throw new ArgumentException($"{what}: '{name}' is missing.");
            long n = 1;
            foreach (var s in shape) n *= s;
            if (data.Length != n)
                throw new ArgumentException($"{what}: '{name}' has {data.Length} values, expected [{string.Join(", ", shape)}] = {n}.");
        }
    }

    /// <summary>Number of values of a tensor of this shape.</summary>
    public static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);
}
