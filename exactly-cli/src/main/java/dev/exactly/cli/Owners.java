package dev.exactly.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;

/**
 * Names the Exactly component behind a {@code transactional.id}, from the way each one makes its
 * id: the processor (and {@code exactly copy}) uses {@code <group>-<instanceId>} (or {@code
 * <transactionalIdPrefix>-<instanceId>}), the outbox relay {@code exactly-outbox-<relay name>}.
 */
final class Owners {
  static final String RELAY_PREFIX = "exactly-outbox-";

  private final List<String> groups;

  private Owners(List<String> groups) {
    // Longest first: group "orders-eu" must win over "orders" for id "orders-eu-node-1".
    this.groups = new ArrayList<>(groups);
    this.groups.sort(Comparator.comparingInt(String::length).reversed());
  }

  static Owners read(Admin admin) throws Exception {
    List<String> ids = new ArrayList<>();
    for (GroupListing g : admin.listGroups().all().get(20, TimeUnit.SECONDS)) {
      ids.add(g.groupId());
    }
    return new Owners(ids);
  }

  static Owners of(List<String> groups) {
    return new Owners(groups);
  }

  String of(String transactionalId) {
    if (transactionalId.startsWith(RELAY_PREFIX)) {
      return "outbox-relay " + transactionalId.substring(RELAY_PREFIX.length());
    }
    for (String g : groups) {
      if (transactionalId.startsWith(g + "-") && transactionalId.length() > g.length() + 1) {
        return "processor group " + g + " instance " + transactionalId.substring(g.length() + 1);
      }
    }
    return "not an Exactly component (or its group has no members or offsets)";
  }
}
