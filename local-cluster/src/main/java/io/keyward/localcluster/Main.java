package io.keyward.localcluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Runs a local API server until stopped (Ctrl-C): {@code java -cp local-cluster.jar
 * io.keyward.localcluster.Main <kubeconfig path>}. Used by bin/run when no cluster is at hand.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: Main <where to write the kubeconfig>");
      System.exit(2);
    }
    LocalKubeApiServer server = LocalKubeApiServer.start(true);
    Path target = Path.of(args[0]).toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.copy(server.kubeconfig(), tmp, StandardCopyOption.REPLACE_EXISTING);
    // Appears whole or not at all, so a waiting script never reads half a file.
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("kube-apiserver " + server.url() + " ready; kubeconfig " + target);
    Thread.currentThread().join();
  }
}
