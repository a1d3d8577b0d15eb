/**
 * Where host numbers come from: `/proc` and `statfs` on Linux (cheap, no
 * child processes), `systeminformation` elsewhere. Each reader returns plain
 * rows; `host.ts` turns them into observations.
 */
import { readFile, readdir, statfs } from "node:fs/promises";

/** Counters of one network interface since boot. */
export interface NetworkRow {
  readonly device: string;
  readonly receiveBytes: number;
  readonly transmitBytes: number;
  readonly receiveErrors: number;
  readonly transmitErrors: number;
  readonly receiveDropped: number;
  readonly transmitDropped: number;
}

/** The space of one mounted filesystem, in bytes. */
export interface FilesystemRow {
  readonly device: string;
  readonly mountpoint: string;
  readonly type: string;
  readonly usedBytes: number;
  /** Free space an unprivileged user may use. */
  readonly freeBytes: number;
  /** Free space kept for the superuser. */
  readonly reservedBytes: number;
}

/** Counters of one block device since boot. */
export interface DiskRow {
  readonly device: string;
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly readOperations: number;
  readonly writeOperations: number;
}

const isLinux = process.platform === "linux";

/** Network counters per interface, loopback left out. */
export async function readNetwork(): Promise<NetworkRow[]> {
  const rows = isLinux
    ? parseNetDev(await readFile("/proc/net/dev", "utf8"))
    : await readNetworkPortable();
  return rows.filter((row) => row.device !== "lo");
}

/** Parses `/proc/net/dev`: two header lines, then one line per interface. */
export function parseNetDev(text: string): NetworkRow[] {
  const rows: NetworkRow[] = [];
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    rows.push({
      device: line.slice(0, colon).trim(),
      receiveBytes: f[0] ?? 0,
      receiveErrors: f[2] ?? 0,
      receiveDropped: f[3] ?? 0,
      transmitBytes: f[8] ?? 0,
      transmitErrors: f[10] ?? 0,
      transmitDropped: f[11] ?? 0,
    });
  }
  return rows;
}

async function readNetworkPortable(): Promise<NetworkRow[]> {
  const si = await import("systeminformation");
  const stats = await si.networkStats("*");
  return stats.map((s) => ({
    device: s.iface,
    receiveBytes: s.rx_bytes,
    transmitBytes: s.tx_bytes,
    receiveErrors: s.rx_errors,
    transmitErrors: s.tx_errors,
    receiveDropped: s.rx_dropped,
    transmitDropped: s.tx_dropped,
  }));
}

// Filesystems worth watching that are not backed by a /dev block device.
const NON_DEVICE_FILESYSTEMS = new Set([
  "overlay",
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
  "zfs",
  "fuseblk",
]);

/** Space per mounted filesystem; pseudo filesystems and bind mounts left out. */
export async function readFilesystems(): Promise<FilesystemRow[]> {
  if (!isLinux) return readFilesystemsPortable();
  const mounts = parseMounts(await readFile("/proc/self/mounts", "utf8"));
  const rows = await Promise.all(mounts.map(statMount));
  return rows.filter((row): row is FilesystemRow => row !== undefined);
}

interface Mount {
  readonly device: string;
  readonly mountpoint: string;
  readonly type: string;
}

/**
 * Parses `/proc/self/mounts`, keeping real filesystems once each: a device
 * bind-mounted in several places (as containers do with /etc/hosts) is
 * reported at its first mountpoint only.
 */
export function parseMounts(text: string): Mount[] {
  const seen = new Set<string>();
  const mounts: Mount[] = [];
  for (const line of text.split("\n")) {
    const [device, mountpoint, type] = line.split(" ");
    if (device === undefined || mountpoint === undefined || !type) continue;
    const real = device.startsWith("/dev/") || NON_DEVICE_FILESYSTEMS.has(type);
    if (!real || seen.has(device)) continue;
    seen.add(device);
    // The kernel escapes spaces and tabs in paths as octal.
    const path = mountpoint.replace(/\\(\d{3})/g, (_, octal: string) =>
      String.fromCharCode(parseInt(octal, 8)),
    );
    mounts.push({ device, mountpoint: path, type });
  }
  return mounts;
}

async function statMount(mount: Mount): Promise<FilesystemRow | undefined> {
  try {
    const s = await statfs(mount.mountpoint);
    if (s.blocks === 0) return undefined;
    return {
      ...mount,
      usedBytes: (s.blocks - s.bfree) * s.bsize,
      freeBytes: s.bavail * s.bsize,
      reservedBytes: (s.bfree - s.bavail) * s.bsize,
    };
  } catch {
    // Unreadable mounts (permissions, a vanished network share) are skipped.
    return undefined;
  }
}

async function readFilesystemsPortable(): Promise<FilesystemRow[]> {
  const si = await import("systeminformation");
  const sizes = await si.fsSize();
  return sizes.map((s) => ({
    device: s.fs,
    mountpoint: s.mount,
    type: s.type,
    usedBytes: s.used,
    freeBytes: s.available,
    reservedBytes: Math.max(0, s.size - s.used - s.available),
  }));
}

// Devices that are memory or files, not disks.
const VIRTUAL_DEVICE = /^(loop|ram|zram)\d+$/;

let wholeDisks: Promise<Set<string>> | undefined;

/**
 * I/O counters per whole block device (partitions left out, since their
 * traffic is already in their disk). Linux only: elsewhere, no rows.
 */
export async function readDisks(): Promise<DiskRow[]> {
  if (!isLinux) return [];
  // Disks rarely come and go; list them once.
  wholeDisks ??= readdir("/sys/block").then((names) => new Set(names));
  const disks = await wholeDisks;
  const rows = parseDiskstats(await readFile("/proc/diskstats", "utf8"));
  return rows.filter(
    (row) => disks.has(row.device) && !VIRTUAL_DEVICE.test(row.device),
  );
}

// `/proc/diskstats` counts sectors of 512 bytes whatever the device's own.
const SECTOR_BYTES = 512;

/** Parses `/proc/diskstats`: major, minor, name, then the counters. */
export function parseDiskstats(text: string): DiskRow[] {
  const rows: DiskRow[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    const device = f[2];
    if (device === undefined || f.length < 10) continue;
    rows.push({
      device,
      readOperations: Number(f[3]),
      readBytes: Number(f[5]) * SECTOR_BYTES,
      writeOperations: Number(f[7]),
      writeBytes: Number(f[9]) * SECTOR_BYTES,
    });
  }
  return rows;
}
