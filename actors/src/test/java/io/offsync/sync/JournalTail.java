package io.offsync.sync;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Makes a real journal database lose its last events, as H2 did after a kill -9 with its default write delay, or
 * PostgreSQL with asynchronous commit, or a journal restored from an older backup: the newest rows of
 * pekko-persistence-jdbc's {@code event_journal} table are deleted (their tags go with them), so recovery sees
 * a prefix of what was journaled.
 */
final class JournalTail {

  private JournalTail() {}

  /** The persistence id of the subtask of {@code key} (db.table), incarnation and partition. */
  static String subtask(String key, long incarnation, int pid) {
    return "Subtask|" + key + "|" + incarnation + "|" + pid;
  }

  /**
   * Deletes the last {@code n} events of {@code persistenceId} from the journal of {@code config} (the node's
   * configuration: {@code jdbc-journal.slick.db.*}); returns how many were deleted.
   */
  static int dropLast(Config config, String persistenceId, int n) throws SQLException {
    if (n == 0) {
      return 0;
    }
    String sql = "DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" > "
        + "(SELECT MAX(\"sequence_number\") FROM \"event_journal\" WHERE \"persistence_id\" = ?) - ?";
    try (Connection c = connect(config); PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, persistenceId);
      st.setString(2, persistenceId);
      st.setInt(3, n);
      return st.executeUpdate();
    }
  }

  /** How many events {@code persistenceId} has in the journal. */
  static int count(Config config, String persistenceId) throws SQLException {
    try (Connection c = connect(config); PreparedStatement st = c.prepareStatement(
        "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?")) {
      st.setString(1, persistenceId);
      try (var rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static Connection connect(Config config) throws SQLException {
    Config db = config.getConfig("jdbc-journal.slick.db");
    return DriverManager.getConnection(db.getString("url"), db.getString("user"), db.getString("password"));
  }
}
