using System.Runtime.InteropServices;

namespace MusicGen.Server.Audio;

/// <summary>
/// Gives the C heap's free memory back to the OS after a render (glibc's <c>malloc_trim(0)</c>: free pages of every
/// malloc arena, not only the top). Where the C library is not glibc (<c>libc.so.6</c> with <c>malloc_trim</c>), it does nothing.
/// </summary>
internal static class NativeHeap
{
    private static readonly Lazy<bool> Available = new(() =>
    {
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    });

    /// <summary>Returns free C-heap pages to the OS; true when the C library could do it.</summary>
    public static bool Trim()
    {
        if (!Available.Value) return false;
        MallocTrim(0);
        return true;
    }

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
