package io.offsync.sync;

import io.offsync.protocol.zk.TableMetadata;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Table metadata on a ZooKeeper client (and so a session) of one test node's own, closed when the node's
 * ActorSystem terminates, as a synctool process's session ends when it exits: the node's leases go with it.
 */
final class NodeSessions {

  private NodeSessions() {}

  static TableMetadata metadata(String connectString, ActorSystem<?> node) {
    CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connectString)
        .sessionTimeoutMs(10_000).connectionTimeoutMs(5_000).retryPolicy(new ExponentialBackoffRetry(100, 5))
        .build();
    client.start();
    try {
      if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
        client.close();
        throw new IllegalStateException("no ZooKeeper at " + connectString);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      client.close();
      throw new IllegalStateException(e);
    }
    TableMetadata metadata = new TableMetadata(client, "/openmldb");
    node.getWhenTerminated().thenRun(() -> {
      metadata.close();
      client.close();
    });
    return metadata;
  }
}
