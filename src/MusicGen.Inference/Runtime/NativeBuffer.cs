using System.Runtime.InteropServices;

namespace MusicGen.Inference.Runtime;

/// <summary>Zeroed, 64-byte aligned native memory that ONNX Runtime can read and write in place.</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    public NativeBuffer(long bytes)
    {
        Bytes = Math.Max(bytes, 64);
        Pointer = (nint)NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        NativeMemory.Clear((void*)Pointer, (nuint)Bytes);
    }

    public nint Pointer { get; private set; }

    public long Bytes { get; }

    public Span<T> AsSpan<T>(long offsetElements, int length) where T : unmanaged =>
        new((void*)(Pointer + (nint)(offsetElements * sizeof(T))), length);

    public void Dispose()
    {
        if (Pointer != 0)
        {
            NativeMemory.AlignedFree((void*)Pointer);
            Pointer = 0;
        }
    }
}
