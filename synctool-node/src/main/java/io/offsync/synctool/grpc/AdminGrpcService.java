package io.offsync.synctool.grpc;

import io.grpc.Status;
import io.offsync.protocol.admin.AdminReply;
import io.offsync.protocol.admin.CreateTaskRequest;
import io.offsync.protocol.admin.ListCollectorsReply;
import io.offsync.protocol.admin.ListCollectorsRequest;
import io.offsync.protocol.admin.StatusReply;
import io.offsync.protocol.admin.StatusRequest;
import io.offsync.protocol.admin.SyncToolAdmin;
import io.offsync.protocol.admin.TableRef;
import io.offsync.protocol.admin.VerifyReply;
import io.offsync.synctool.admin.AdminException;
import io.offsync.synctool.admin.AdminService;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * gRPC {@code offsync.admin.SyncToolAdmin}: a refusal fails the call with the gRPC status of its
 * {@link AdminException.Kind} and the refusal's message as description.
 */
public final class AdminGrpcService implements SyncToolAdmin {

  private final AdminService admin;

  public AdminGrpcService(AdminService admin) {
    this.admin = admin;
  }

  @Override
  public CompletionStage<AdminReply> createTask(CreateTaskRequest in) {
    String t = in.getTable().getDb() + "." + in.getTable().getTable();
    return reply(admin.create(in), x -> "created sync task for " + t);
  }

  @Override
  public CompletionStage<AdminReply> deleteTask(TableRef in) {
    return reply(admin.delete(in.getDb(), in.getTable()),
        x -> "deleted sync task of " + in.getDb() + "." + in.getTable() + " (committed files are kept)");
  }

  @Override
  public CompletionStage<AdminReply> pauseTask(TableRef in) {
    return reply(admin.pause(in.getDb(), in.getTable()), x -> "paused " + in.getDb() + "." + in.getTable());
  }

  @Override
  public CompletionStage<AdminReply> resumeTask(TableRef in) {
    return reply(admin.resume(in.getDb(), in.getTable()), x -> "resumed " + in.getDb() + "." + in.getTable());
  }

  @Override
  public CompletionStage<StatusReply> status(StatusRequest in) {
    return mapped(admin.status().thenApply(all -> {
      StatusReply.Builder b = StatusReply.newBuilder().setServerTimeMs(System.currentTimeMillis());
      all.stream()
          .filter(s -> !in.hasTable()
              || (s.getDb().equals(in.getTable().getDb()) && s.getTable().equals(in.getTable().getTable())))
          .forEach(b::addSubtask);
      return b.build();
    }));
  }

  @Override
  public CompletionStage<VerifyReply> verify(TableRef in) {
    return mapped(admin.verify(in.getDb(), in.getTable()));
  }

  @Override
  public CompletionStage<ListCollectorsReply> listCollectors(ListCollectorsRequest in) {
    return mapped(admin.collectors().thenApply(list -> ListCollectorsReply.newBuilder()
        .addAllCollector(list).setZookeeperPath(admin.collectorsPath()).build()));
  }

  private static <T> CompletionStage<AdminReply> reply(CompletionStage<T> op, Function<T, String> text) {
    return mapped(op.thenApply(x -> AdminReply.newBuilder().setMessage(text.apply(x)).build()));
  }

  private static <T> CompletionStage<T> mapped(CompletionStage<T> op) {
    return op.exceptionallyCompose(t -> {
      AdminException e = AdminException.of(t);
      return java.util.concurrent.CompletableFuture.failedFuture(
          new GrpcServiceException(Status.fromCode(e.kind().grpcCode()).withDescription(e.getMessage())));
    });
  }
}
