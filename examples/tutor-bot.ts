/**
 * A minimal tutor bot: joins a session's tutor channel and answers every question in the chat
 * with a hint addressed to the student who asked. Stops on Ctrl-C / SIGTERM.
 *
 *   TOKEN=$(npx tutorboard token --sub hint-bot --session demo --role tutor) node tutor-bot.ts
 *
 * Needs only `tutorboard` (its `tutorboard/client` entry). A backend that does not want a socket
 * can post the same hint over HTTP instead (admin token):
 *   curl -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
 *        -d '{"type":"hint","text":"try 3/4","to":"sam"}' http://127.0.0.1:1234/api/sessions/demo/tutor/messages
 */
import { TutorChannelClient } from 'tutorboard/client';

const server = process.env.TUTORBOARD_WS ?? 'ws://127.0.0.1:1234';
const sessionId = process.env.SESSION ?? 'demo';
const token = process.env.TOKEN;
if (!token) {
  console.error('set TOKEN, e.g. TOKEN=$(npx tutorboard token --sub hint-bot --session demo --role tutor)');
  process.exit(2);
}

const channel = new TutorChannelClient({ url: `${server}/ws/v2/session/${sessionId}`, token });

channel.on('welcome', (welcome) => {
  console.log(`tutor bot in session ${welcome.sessionId} as ${welcome.userId}, ${welcome.peers.length} peer(s)`);
});
channel.on('message', (message) => {
  if (message.type !== 'chat' || typeof message.text !== 'string' || !message.text.includes('?')) return;
  channel.send({ type: 'hint', text: `Good question! Start from what you know about "${message.text.slice(0, 40)}"`, to: message.from.userId });
  console.log(`hint sent to ${message.from.userId}`);
});
channel.on('close', ({ code, reason, reconnecting }) => {
  if (!reconnecting) console.log(`tutor bot stopped (${code} ${reason})`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => channel.close());
