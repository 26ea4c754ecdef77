package io.offsync.protocol.codec;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded generators of schemas and rows covering every column type, NULLs, empty and non-ASCII strings. */
final class RandomRows {

  private static final String[] PIECES = {"a", "Z", "0", " ", "é", "ß", "中", "文", "😀", "\u0000", "\t", "'", "\""};
  private static final long MIN_DAY = LocalDate.of(1900, 1, 1).toEpochDay();
  private static final long MAX_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

  private final Random random;

  RandomRows(long seed) {
    random = new Random(seed);
  }

  Random random() {
    return random;
  }

  List<Column> schema(int maxColumns) {
    int n = 1 + random.nextInt(maxColumns);
    ColumnType[] types = ColumnType.values();
    List<Column> cols = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      cols.add(new Column("c" + i, types[random.nextInt(types.length)], random.nextInt(5) == 0));
    }
    return cols;
  }

  Object[] row(List<Column> cols, int maxStringChars) {
    Object[] values = new Object[cols.size()];
    for (int i = 0; i < values.length; i++) {
      Column c = cols.get(i);
      values[i] = !c.notNull() && random.nextInt(4) == 0 ? null : value(c.type(), maxStringChars);
    }
    return values;
  }

  Object value(ColumnType type, int maxStringChars) {
    return switch (type) {
      case BOOL -> random.nextBoolean();
      case SMALLINT -> (short) random.nextInt();
      case INT -> random.nextInt();
      case BIGINT -> random.nextLong();
      case FLOAT -> switch (random.nextInt(6)) {
        case 0 -> Float.intBitsToFloat(random.nextInt());
        case 1 -> Float.NaN;
        case 2 -> -0.0f;
        case 3 -> Float.NEGATIVE_INFINITY;
        default -> (random.nextFloat() - 0.5f) * 1e6f;
      };
      case DOUBLE -> switch (random.nextInt(6)) {
        case 0 -> Double.longBitsToDouble(random.nextLong());
        case 1 -> Double.NaN;
        case 2 -> Double.MIN_VALUE;
        case 3 -> Double.POSITIVE_INFINITY;
        default -> (random.nextDouble() - 0.5) * 1e12;
      };
      case DATE -> LocalDate.ofEpochDay(MIN_DAY + (long) (random.nextDouble() * (MAX_DAY - MIN_DAY + 1)));
      case TIMESTAMP -> (long) ((random.nextDouble() - 0.3) * 5e12);
      case VARCHAR, STRING -> string(random.nextInt(maxStringChars + 1));
    };
  }

  String string(int pieces) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < pieces; i++) {
      sb.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return sb.toString();
  }
}
