package io.keel.client;

/**
 * ZooKeeper's {@code Stat}: the metadata of a znode. A zxid is the Raft log index of the write's entry times 2^16 plus its position in the entry; times are the
 * leader's wall clock in milliseconds when it accepted the write.
 *
 * @param czxid          zxid of the create
 * @param mzxid          zxid of the last data change
 * @param ctime          time of the create
 * @param mtime          time of the last data change
 * @param version        number of data changes
 * @param cversion       number of child creates and deletes
 * @param aversion       number of ACL changes
 * @param ephemeralOwner the owning session of an ephemeral, 0 for persistent nodes (ZooKeeper's
 *                       encodings for container and TTL nodes)
 * @param dataLength     bytes of data
 * @param numChildren    number of children
 * @param pzxid          zxid of the last child create or delete
 */
public record Stat(long czxid, long mzxid, long ctime, long mtime, int version, int cversion,
                   int aversion, long ephemeralOwner, int dataLength, int numChildren,
                   long pzxid) {
  static Stat of(io.keel.proto.Stat s) {
    return new Stat(s.getCzxid(), s.getMzxid(), s.getCtime(), s.getMtime(), s.getVersion(),
        s.getCversion(), s.getAversion(), s.getEphemeralOwner(), s.getDataLength(),
        s.getNumChildren(), s.getPzxid());
  }
}
