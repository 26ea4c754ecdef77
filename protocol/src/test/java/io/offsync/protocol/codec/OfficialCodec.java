package io.offsync.protocol.codec;

import com._4paradigm.openmldb.common.codec.ClassicRowBuilder;
import com._4paradigm.openmldb.common.codec.CodecMetaData;
import com._4paradigm.openmldb.common.codec.FlexibleRowBuilder;
import com._4paradigm.openmldb.common.codec.RowBuilder;
import com._4paradigm.openmldb.common.codec.RowView;
import com._4paradigm.openmldb.proto.Common;
import com._4paradigm.openmldb.proto.Type;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The oracle: OpenMLDB's published Java row codec ({@code openmldb-common}), driven with offsync's columns and
 * Java value types so both sides can be compared value for value.
 */
final class OfficialCodec {

  private OfficialCodec() {}

  static List<Common.ColumnDesc> descs(List<Column> cols) {
    List<Common.ColumnDesc> out = new ArrayList<>();
    for (Column c : cols) {
      out.add(Common.ColumnDesc.newBuilder()
          .setName(c.name())
          .setDataType(Type.DataType.valueOf(c.type().dataType().name()))
          .setNotNull(c.notNull())
          .build());
    }
    return out;
  }

  /** Encodes with {@code ClassicRowBuilder} (the builder the SDKs use); cannot encode string rows over 16 MiB. */
  static byte[] encodeClassic(List<Column> cols, int version, Object[] values) throws Exception {
    ClassicRowBuilder b = new ClassicRowBuilder(descs(cols), version);
    int size = b.calTotalLength(Arrays.asList(values));
    ByteBuffer buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    b.setBuffer(buf, size);
    append(b, cols, values);
    return buf.array();
  }

  /** Encodes with {@code FlexibleRowBuilder}. */
  static byte[] encodeFlexible(List<Column> cols, int version, Object[] values) throws Exception {
    FlexibleRowBuilder b = new FlexibleRowBuilder(new CodecMetaData(descs(cols), version, false));
    append(b, cols, values);
    if (!b.build()) {
      throw new AssertionError("FlexibleRowBuilder.build() refused the row");
    }
    ByteBuffer v = b.getValue();
    return Arrays.copyOf(v.array(), v.capacity());
  }

  private static void append(RowBuilder b, List<Column> cols, Object[] values) {
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      boolean ok;
      if (v == null) {
        ok = b.appendNULL();
      } else {
        ok = switch (cols.get(i).type()) {
          case BOOL -> b.appendBool((Boolean) v);
          case SMALLINT -> b.appendSmallInt((Short) v);
          case INT -> b.appendInt((Integer) v);
          case BIGINT -> b.appendBigInt((Long) v);
          case FLOAT -> b.appendFloat((Float) v);
          case DOUBLE -> b.appendDouble((Double) v);
          case DATE -> b.appendDate(Date.valueOf((LocalDate) v));
          case TIMESTAMP -> b.appendTimestamp(new Timestamp((Long) v));
          case VARCHAR, STRING -> b.appendString((String) v);
        };
      }
      if (!ok) {
        throw new AssertionError("official builder refused column " + i + " " + cols.get(i) + " = " + v);
      }
    }
  }

  /** Decodes with {@code RowView}, converting its values to offsync's Java types. */
  static Object[] decode(List<Column> cols, byte[] row) throws Exception {
    RowView view = new RowView(descs(cols));
    Object[] raw = view.read(ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN));
    Object[] out = new Object[raw.length];
    for (int i = 0; i < raw.length; i++) {
      Object v = raw[i];
      if (v instanceof Timestamp t) {
        out[i] = t.getTime();
      } else if (v instanceof Date d) {
        out[i] = d.toLocalDate();
      } else {
        out[i] = v;
      }
    }
    return out;
  }
}
