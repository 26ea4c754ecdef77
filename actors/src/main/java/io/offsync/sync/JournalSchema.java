package io.offsync.sync;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * Creates the journal, snapshot and durable-state tables when they are missing, with pekko-persistence-jdbc's
 * own DDL for the configured database (H2 or PostgreSQL). Runs once at node start, before any persistent actor.
 */
public final class JournalSchema {

  private JournalSchema() {}

  /**
   * Creates the tables unless {@code offsync.journal.create-schema} is off; waits at most {@code timeout}.
   *
   * @throws IllegalStateException naming the database URL when the database cannot be reached or written
   */
  public static void ensure(ActorSystem<?> system, Duration timeout) {
    var config = system.settings().config();
    if (!config.getBoolean("offsync.journal.create-schema")) {
      return;
    }
    String url = config.getString("jdbc-journal.slick.db.url");
    try {
      SchemaUtils.createIfNotExists(system).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating the journal schema in " + url, e);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException("cannot create the journal schema in " + url + ": " + cause.getMessage()
          + " (check offsync.journal.url, user and password, and that the database is reachable)", cause);
    }
  }
}
