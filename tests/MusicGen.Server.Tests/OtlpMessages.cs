using System.Buffers.Binary;
using System.Text;

namespace MusicGen.Server.Tests;

/// <summary>
/// Reads what an OTLP exporter sends (<c>ExportTraceServiceRequest</c>, <c>ExportMetricsServiceRequest</c>) from the
/// Protocol Buffers wire format, by the field numbers of opentelemetry-proto's <c>trace.proto</c>, <c>metrics.proto</c>
/// and <c>common.proto</c> (the OpenTelemetry.Proto package is not served here). Only what the tests look at.
/// </summary>
internal static class OtlpMessages
{
    /// <summary>A span as it arrived: its ids, name, kind, attributes, the scope that made it and its resource.</summary>
    public sealed record Span(string Name, string TraceId, string SpanId, string ParentSpanId, int Kind, Dictionary<string, object?> Attributes, string Scope, Dictionary<string, object?> Resource);

    /// <summary>SpanKind SERVER in trace.proto.</summary>
    public const int ServerKind = 2;

    /// <summary>The spans of an <c>ExportTraceServiceRequest</c>.</summary>
    public static List<Span> Spans(ReadOnlyMemory<byte> request)
    {
        var spans = new List<Span>();
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1))            // resource_spans
        {
            var rs = Fields(resourceSpans.Bytes);
            var resource = rs.Where(f => f.Number == 1).Select(f => Attributes(f.Bytes, 1)).FirstOrDefault() ?? [];
            foreach (var scopeSpans in rs.Where(f => f.Number == 2))                           // scope_spans
            {
                var ss = Fields(scopeSpans.Bytes);
                var scope = ss.Where(f => f.Number == 1).Select(f => Text(Fields(f.Bytes), 1)).FirstOrDefault() ?? "";
                foreach (var span in ss.Where(f => f.Number == 2))                             // spans
                {
                    var s = Fields(span.Bytes);
                    spans.Add(new Span(Text(s, 5), Hex(s, 1), Hex(s, 2), Hex(s, 4), (int)(s.FirstOrDefault(f => f.Number == 6)?.Varint ?? 0),
                        Attributes(span.Bytes, 9), scope, resource));
                }
            }
        }
        return spans;
    }

    /// <summary>The (scope, metric name) pairs of an <c>ExportMetricsServiceRequest</c>.</summary>
    public static List<(string Scope, string Name)> Metrics(ReadOnlyMemory<byte> request)
    {
        var metrics = new List<(string, string)>();
        foreach (var resourceMetrics in Fields(request).Where(f => f.Number == 1))
            foreach (var scopeMetrics in Fields(resourceMetrics.Bytes).Where(f => f.Number == 2))
            {
                var sm = Fields(scopeMetrics.Bytes);
                var scope = sm.Where(f => f.Number == 1).Select(f => Text(Fields(f.Bytes), 1)).FirstOrDefault() ?? "";
                foreach (var metric in sm.Where(f => f.Number == 2)) metrics.Add((scope, Text(Fields(metric.Bytes), 1)));
            }
        return metrics;
    }

    /// <summary>The gRPC message of a unary request body: a 5-byte prefix (compressed flag, big-endian length), then the message.</summary>
    public static ReadOnlyMemory<byte> GrpcMessage(byte[] body)
    {
        if (body.Length < 5 || body[0] != 0) throw new InvalidDataException($"not an uncompressed gRPC message ({body.Length} bytes)");
        var length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1, 4));
        if (length != body.Length - 5) throw new InvalidDataException($"gRPC message of {length} bytes in a body of {body.Length}");
        return body.AsMemory(5);
    }

    /// <summary>KeyValue attributes (key 1, AnyValue 2) under field <paramref name="number"/> of a message.</summary>
    private static Dictionary<string, object?> Attributes(ReadOnlyMemory<byte> message, int number)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in Fields(message).Where(f => f.Number == number))
        {
            var fields = Fields(kv.Bytes);
            attributes[Text(fields, 1)] = fields.Where(f => f.Number == 2).Select(f => Value(f.Bytes)).FirstOrDefault();
        }
        return attributes;
    }

    /// <summary>An AnyValue: string 1, bool 2, int 3, double 4, array 5 (ArrayValue: values 1).</summary>
    private static object? Value(ReadOnlyMemory<byte> any)
    {
        if (Fields(any).FirstOrDefault() is not { } f) return null;
        return f.Number switch
        {
            1 => Encoding.UTF8.GetString(f.Bytes.Span),
            2 => f.Varint != 0,
            3 => (long)f.Varint,
            4 => BitConverter.Int64BitsToDouble((long)f.Varint),
            5 => Fields(f.Bytes).Where(v => v.Number == 1).Select(v => Value(v.Bytes)).ToArray(),
            _ => null,
        };
    }

    private static string Text(List<Field> fields, int number) =>
        fields.FirstOrDefault(f => f.Number == number) is { } f ? Encoding.UTF8.GetString(f.Bytes.Span) : "";

    private static string Hex(List<Field> fields, int number) =>
        fields.FirstOrDefault(f => f.Number == number) is { } f ? Convert.ToHexStringLower(f.Bytes.Span) : "";

    /// <summary>One field: its number, and its value (varint, fixed64 and fixed32 in <see cref="Varint"/>, length-delimited in <see cref="Bytes"/>).</summary>
    private sealed record Field(int Number, ulong Varint, ReadOnlyMemory<byte> Bytes);

    /// <summary>The fields of one message, in order; throws on anything that is not the wire format.</summary>
    private static List<Field> Fields(ReadOnlyMemory<byte> message)
    {
        var fields = new List<Field>();
        var data = message.Span;
        var at = 0;
        while (at < data.Length)
        {
            var key = ReadVarint(data, ref at);
            var number = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0:
                    fields.Add(new Field(number, ReadVarint(data, ref at), default));
                    break;
                case 1:
                    fields.Add(new Field(number, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(at, 8)), default));
                    at += 8;
                    break;
                case 2:
                    var length = checked((int)ReadVarint(data, ref at));
                    if (length > data.Length - at) throw new InvalidDataException($"field {number} of {length} bytes runs past the message at byte {at}");
                    fields.Add(new Field(number, 0, message.Slice(at, length)));
                    at += length;
                    break;
                case 5:
                    fields.Add(new Field(number, BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(at, 4)), default));
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {key & 7} of field {number} at byte {at}");
            }
        }
        return fields;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= data.Length) throw new InvalidDataException("a varint runs past the message");
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("a varint longer than 10 bytes");
    }
}
