/**
 * What a resuming connection gets after its welcome: a `replay_gap` error first when some of what
 * it missed is gone (evicted, expired, or from an earlier room instance), then every retained
 * message after its `since` that it would have received live. One rule for the in-memory ring of
 * one machine and for the shared log of a cluster.
 */
import type { ReplayEntry } from './ReplayRing.ts';
import type { ErrorMessage } from './protocol.ts';
import type { ResumeRequest, RoomMember } from './Room.ts';

export interface ReplaySource {
  /** The room's current epoch and latest seq. */
  epoch: string;
  seq: number;
  /** Retained entries, oldest first, a contiguous run of seqs (expired ones already left out). */
  entries: readonly ReplayEntry[];
}

export function sendReplay(member: RoomMember, resume: ResumeRequest, source: ReplaySource): void {
  const { epoch, seq, entries } = source;
  const sameRoom = (resume.epoch === undefined || resume.epoch === epoch) && resume.since <= seq;
  // From another room instance, every message of this one is new to the client.
  const since = sameRoom ? resume.since : 0;
  if (since >= seq && sameRoom) return;
  const firstRetained = entries.length > 0 ? entries[0].seq : seq + 1;
  if (!sameRoom || firstRetained > since + 1) {
    const message = sameRoom
      ? `messages ${since + 1}..${firstRetained - 1} are no longer available`
      : resume.epoch === epoch
        ? `since ${resume.since} is past this room's latest seq ${seq}; sending everything retained`
        : 'the room was restarted since you left; earlier messages are lost';
    const gap: ErrorMessage = { type: 'error', code: 'replay_gap', message };
    if (!member.send(JSON.stringify(gap))) return;
  }
  for (const entry of entries) {
    if (entry.seq <= since) continue;
    if (entry.to !== undefined && entry.to !== member.userId) continue;
    if (entry.senderConnectionId === member.connectionId) continue;
    if (!member.send(entry.data)) return;
  }
}
