using System.Runtime.InteropServices;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// Zeroed native memory that ONNX Runtime can read and write in place. Allocated with calloc: a large buffer (a KV
/// cache sized for every slot at full context) is mapped lazily by the OS, so only the pages rows actually fill are
/// committed.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    public NativeBuffer(long bytes)
    {
        Bytes = Math.Max(bytes, 64);
        Pointer = (nint)NativeMemory.AllocZeroed((nuint)Bytes);
    }

    public nint Pointer { get; private set; }

    public long Bytes { get; }

    public Span<T> AsSpan<T>(long offsetElements, int length) where T : unmanaged =>
        new((void*)(Pointer + (nint)(offsetElements * sizeof(T))), length);

    public void Dispose()
    {
        if (Pointer != 0)
        {
            NativeMemory.Free((void*)Pointer);
            Pointer = 0;
        }
    }
}
