package io.offsync.collector;

import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import java.io.NotSerializableException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * The wire form of a {@link RowPack}, the bulk of what crosses from a collector to a synctool: the position, then
 * the row bytes as they are. One array, one copy of the data each way; through Jackson CBOR (the other messages'
 * serializer) a 1 MiB pack was copied through growing chunks, then again, and parsed back the same way.
 *
 * <p>Layout (big-endian): a tag byte (0 no position, 1 {@link SnapshotPosition}, 2 {@link BinlogPosition}, 3
 * {@link BinlogPosition} inside a snapshot's overlap); a snapshot position as manifest name (int32 UTF-8 length, -1
 * for null, then the bytes), manifest offset (int64) and next key (int32 length, -1 for null, then the bytes); a
 * binlog position as its next log index (int64), inside an overlap followed by the overlap's manifest name (as
 * above), manifest offset (int64) and misses (int32); then the row bytes up to the end. A malformed form fails with {@link NotSerializableException} naming the problem.
 */
public final class RowPackSerializer extends SerializerWithStringManifest {

  /** Serializer id, unique in the actor system (Pekko reserves 0 to 40). */
  public static final int ID = 7401;
  private static final String MANIFEST = "P";
  private static final byte NONE = 0;
  private static final byte SNAPSHOT = 1;
  private static final byte BINLOG = 2;
  private static final byte BINLOG_IN_OVERLAP = 3;

  @Override
  public int identifier() {
    return ID;
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    if (!(o instanceof RowPack pack)) {
      throw new IllegalArgumentException("RowPackSerializer serializes RowPack, not " + o.getClass().getName());
    }
    Position next = pack.next();
    byte[] name = null;
    byte[] key = null;
    int header = 1;
    if (next instanceof SnapshotPosition s) {
      name = s.manifestName() == null ? null : s.manifestName().getBytes(StandardCharsets.UTF_8);
      key = s.nextKey();
      header += 4 + (name == null ? 0 : name.length) + 8 + 4 + (key == null ? 0 : key.length);
    } else if (next instanceof BinlogPosition b) {
      header += 8;
      if (b.inOverlap()) {
        name = b.overlap().manifestName().getBytes(StandardCharsets.UTF_8);
        header += 4 + name.length + 8 + 4;
      }
    }
    ByteBuffer out = ByteBuffer.allocate(header + pack.data().length);
    if (next instanceof SnapshotPosition s) {
      out.put(SNAPSHOT);
      putBytes(out, name);
      out.putLong(s.manifestOffset());
      putBytes(out, key);
    } else if (next instanceof BinlogPosition b && b.inOverlap()) {
      out.put(BINLOG_IN_OVERLAP).putLong(b.nextLogIndex());
      putBytes(out, name);
      out.putLong(b.overlap().manifestOffset()).putInt(b.overlap().misses());
    } else if (next instanceof BinlogPosition b) {
      out.put(BINLOG).putLong(b.nextLogIndex());
    } else {
      out.put(NONE);
    }
    out.put(pack.data());
    return out.array();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) {
      throw new NotSerializableException("RowPackSerializer got manifest '" + manifest + "', expected '" + MANIFEST
          + "': the sending node runs another offsync version");
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      byte tag = in.get();
      Position next = switch (tag) {
        case NONE -> null;
        case SNAPSHOT -> {
          byte[] name = getBytes(in);
          long offset = in.getLong();
          yield new SnapshotPosition(name == null ? null : new String(name, StandardCharsets.UTF_8), offset,
              getBytes(in));
        }
        case BINLOG -> new BinlogPosition(in.getLong());
        case BINLOG_IN_OVERLAP -> {
          long nextLogIndex = in.getLong();
          byte[] name = getBytes(in);
          if (name == null) {
            throw new NotSerializableException("RowPack with an overlap position without a snapshot name");
          }
          long offset = in.getLong();
          yield new BinlogPosition(nextLogIndex, new BinlogPosition.Overlap(new String(name, StandardCharsets.UTF_8),
              offset, in.getInt()));
        }
        default -> throw new NotSerializableException("RowPack with unknown position tag " + tag);
      };
      byte[] data = new byte[in.remaining()];
      in.get(data);
      return new RowPack(data, next);
    } catch (BufferUnderflowException | NegativeArraySizeException | IllegalArgumentException e) {
      throw new NotSerializableException("truncated or malformed RowPack (" + bytes.length + " bytes): " + e);
    }
  }

  private static void putBytes(ByteBuffer out, byte[] b) {
    if (b == null) {
      out.putInt(-1);
    } else {
      out.putInt(b.length).put(b);
    }
  }

  private static byte[] getBytes(ByteBuffer in) {
    int n = in.getInt();
    if (n < 0) {
      return null;
    }
    byte[] b = new byte[n];
    in.get(b);
    return b;
  }
}
