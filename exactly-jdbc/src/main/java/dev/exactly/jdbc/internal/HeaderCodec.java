package dev.exactly.jdbc.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The user's headers as one column: a count, then each name and value with its length. A null value
 * is kept as a null value (length -1). Order is kept, and a name may repeat.
 */
public final class HeaderCodec {
  private HeaderCodec() {}

  public static byte[] encode(List<Map.Entry<String, byte[]>> headers) {
    if (headers.isEmpty()) {
      return null;
    }
    int size = 4;
    List<byte[]> names = new ArrayList<>(headers.size());
    for (Map.Entry<String, byte[]> h : headers) {
      byte[] name = h.getKey().getBytes(StandardCharsets.UTF_8);
      names.add(name);
      size += 4 + name.length + 4 + (h.getValue() == null ? 0 : h.getValue().length);
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.putInt(headers.size());
    for (int i = 0; i < headers.size(); i++) {
      byte[] value = headers.get(i).getValue();
      out.putInt(names.get(i).length).put(names.get(i));
      if (value == null) {
        out.putInt(-1);
      } else {
        out.putInt(value.length).put(value);
      }
    }
    return out.array();
  }

  public static List<Header> decode(byte[] encoded) {
    List<Header> out = new ArrayList<>();
    if (encoded == null) {
      return out;
    }
    ByteBuffer in = ByteBuffer.wrap(encoded);
    int n = in.getInt();
    for (int i = 0; i < n; i++) {
      byte[] name = new byte[in.getInt()];
      in.get(name);
      int length = in.getInt();
      byte[] value = null;
      if (length >= 0) {
        value = new byte[length];
        in.get(value);
      }
      out.add(new RecordHeader(new String(name, StandardCharsets.UTF_8), value));
    }
    return out;
  }
}
