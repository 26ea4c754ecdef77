package io.offsync.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.openmldb.Type;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableSchemaTest {

  private static Common.ColumnDesc desc(String name, Type.DataType type) {
    return Common.ColumnDesc.newBuilder().setName(name).setDataType(type).build();
  }

  private static Common.VersionPair version(int id, int fieldCount) {
    return Common.VersionPair.newBuilder().setId(id).setFieldCount(fieldCount).build();
  }

  /** A table created with (id, name, ts), then ALTER TABLE ADD COLUMN score, then ADD COLUMN born. */
  private static NS.TableInfo alteredTwice() {
    return NS.TableInfo.newBuilder()
        .setName("users").setDb("demo").setTid(12)
        .addColumnDesc(desc("id", Type.DataType.kBigInt).toBuilder().setNotNull(true))
        .addColumnDesc(desc("name", Type.DataType.kString))
        .addColumnDesc(desc("ts", Type.DataType.kTimestamp))
        .addAddedColumnDesc(desc("score", Type.DataType.kDouble))
        .addAddedColumnDesc(desc("born", Type.DataType.kDate))
        .addSchemaVersions(version(2, 4))
        .addSchemaVersions(version(3, 5))
        .build();
  }

  @Test
  void resolvesEveryVersionFromTableInfo() {
    TableSchema schema = TableSchema.of(alteredTwice());
    assertEquals("demo.users (tid 12)", schema.table());
    assertEquals(3, schema.latestVersion());
    assertEquals(List.of(new Column("id", ColumnType.BIGINT, true), Column.of("name", ColumnType.STRING),
        Column.of("ts", ColumnType.TIMESTAMP)), schema.columns(1));
    assertEquals(4, schema.columns(2).size());
    assertEquals(Column.of("score", ColumnType.DOUBLE), schema.columns(2).get(3));
    assertEquals(schema.columns(3), schema.latest());
    assertEquals(Column.of("born", ColumnType.DATE), schema.latest().get(4));
  }

  @Test
  void resolvesVersionsFromTableMetaLikeTableInfo() {
    NS.TableInfo info = alteredTwice();
    Tablet.TableMeta meta = Tablet.TableMeta.newBuilder()
        .setName(info.getName()).setDb(info.getDb()).setTid(info.getTid())
        .addAllColumnDesc(info.getColumnDescList()).addAllAddedColumnDesc(info.getAddedColumnDescList())
        .addAllSchemaVersions(info.getSchemaVersionsList())
        .build();
    TableSchema fromMeta = TableSchema.of(meta);
    TableSchema fromInfo = TableSchema.of(info);
    for (int v = 1; v <= 3; v++) {
      assertEquals(fromInfo.columns(v), fromMeta.columns(v));
    }
  }

  @Test
  void decodesRowsOfEachVersionWrittenByTheOfficialCodecInOneTable() throws Exception {
    TableSchema schema = TableSchema.of(alteredTwice());
    Object[] v1 = {1L, "ana", 1681180000123L};
    Object[] v2 = {2L, "bo", 1681180000456L, 9.5};
    Object[] v3 = {3L, "Çelik", null, null, LocalDate.of(1999, 12, 31)};
    byte[] r1 = OfficialCodec.encodeClassic(schema.columns(1), 1, v1);
    byte[] r2 = OfficialCodec.encodeClassic(schema.columns(2), 2, v2);
    byte[] r3 = OfficialCodec.encodeFlexible(schema.columns(3), 3, v3);
    assertEquals(2, RowCodec.schemaVersion(r2, 0));
    assertArrayEquals(v1, RowCodec.decode(schema, r1, 0));
    assertArrayEquals(v2, RowCodec.decode(schema, r2, 0));
    assertArrayEquals(v3, RowCodec.decode(schema, r3, 0));
    assertArrayEquals(r2, RowCodec.encode(schema, 2, v2));
  }

  @Test
  void aRowOfAnUnknownVersionNamesTableAndVersion() throws Exception {
    NS.TableInfo before = alteredTwice().toBuilder().clearAddedColumnDesc().clearSchemaVersions().build();
    TableSchema stale = TableSchema.of(before);
    byte[] row = RowCodec.encode(TableSchema.of(alteredTwice()), 2, new Object[] {2L, "bo", 5L, 1.0});
    UnknownSchemaVersionException e =
        assertThrows(UnknownSchemaVersionException.class, () -> RowCodec.decode(stale, row, 0));
    assertEquals(2, e.version());
    assertEquals("demo.users (tid 12)", e.table());
    assertTrue(e.getMessage().contains("demo.users (tid 12)") && e.getMessage().contains("schema version 2"),
        e.getMessage());
    assertThrows(UnknownSchemaVersionException.class, () -> stale.columns(0));
  }

  @Test
  void refusesInconsistentMetadata() {
    NS.TableInfo tooMany = alteredTwice().toBuilder().addSchemaVersions(version(4, 9)).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TableSchema.of(tooMany));
    assertTrue(e.getMessage().contains("demo.users (tid 12)") && e.getMessage().contains("field_count 9"),
        e.getMessage());
    NS.TableInfo array = alteredTwice().toBuilder().addColumnDesc(desc("tags", Type.DataType.kArray)).build();
    IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> TableSchema.of(array));
    assertTrue(a.getMessage().contains("'tags'") && a.getMessage().contains("kArray"), a.getMessage());
    NS.TableInfo versionTooHigh = alteredTwice().toBuilder().addSchemaVersions(version(256, 5)).build();
    assertThrows(IllegalArgumentException.class, () -> TableSchema.of(versionTooHigh));
  }
}
