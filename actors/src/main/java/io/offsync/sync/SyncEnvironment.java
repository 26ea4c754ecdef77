package io.offsync.sync;

import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.DestinationUser;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * What table tasks and subtasks need from outside the actor system: table metadata in ZooKeeper, the Hadoop
 * configuration for destinations, where rows come from, and the commit fault hook (tests only).
 *
 * @param metadata OpenMLDB table metadata (ZooKeeper)
 * @param hadoopConf configuration for destination file systems ({@code hadoop.conf.dir})
 * @param rowSource opens partition streams; by default the collector entity of the leader's machine
 * @param faults commit protocol fault injection; {@link CommitFaults#NONE} in production
 * @param user the user every destination file-system call runs as (a Kerberos principal, or the process user)
 */
public record SyncEnvironment(
    TableMetadata metadata,
    Configuration hadoopConf,
    Function<ActorSystem<?>, RowSource> rowSource,
    CommitFaults faults,
    DestinationUser user) {

  /** Rows from the collector of each partition leader's machine, no faults: the production environment. */
  public static SyncEnvironment of(TableMetadata metadata, Configuration hadoopConf) {
    return of(metadata, hadoopConf,
        system -> new CollectorRowSource(system, SyncSettings.fromConfig(system.settings().config()).openTimeout()));
  }

  /** Rows from {@code rowSource}, no faults. */
  public static SyncEnvironment of(TableMetadata metadata, Configuration hadoopConf,
      Function<ActorSystem<?>, RowSource> rowSource) {
    return new SyncEnvironment(metadata, hadoopConf, rowSource, CommitFaults.NONE, DestinationUser.processUser());
  }

  public SyncEnvironment withFaults(CommitFaults f) {
    return new SyncEnvironment(metadata, hadoopConf, rowSource, f, user);
  }

  public SyncEnvironment withRowSource(Function<ActorSystem<?>, RowSource> source) {
    return new SyncEnvironment(metadata, hadoopConf, source, faults, user);
  }

  public SyncEnvironment withUser(DestinationUser u) {
    return new SyncEnvironment(metadata, hadoopConf, rowSource, faults, u);
  }
}
