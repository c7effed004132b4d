#!/usr/bin/env node
// Writes N real-looking login events to standard output, one JSON object per line.
// usage: node scripts/generate-logins.mjs N [--invalid-percent P] [--seed S]
// About 1 in 4 events has a null locale and app_version has 1 to 3 parts, as in production traffic;
// --invalid-percent mixes in bodies of the kinds the service dead-letters.

const args = process.argv.slice(2);
const count = Number.parseInt(args[0] ?? "", 10);
if (!Number.isInteger(count) || count < 0) {
  console.error("usage: node scripts/generate-logins.mjs N [--invalid-percent P] [--seed S]");
  process.exit(2);
}
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const invalidPercent = option("--invalid-percent", 0);
let state = option("--seed", 1) >>> 0 || 1;

// xorshift32: the same seed gives the same file.
const random = () => {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
};
const pick = (items) => items[Math.floor(random() * items.length)];
const int = (min, max) => min + Math.floor(random() * (max - min + 1));
const hex = (n) => Array.from({ length: n }, () => int(0, 15).toString(16)).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`;

const locales = ["RU", "PH", "US", "DE", "BR", "ID", "FR", "IN", "JP", null, null, null];
const versions = ["2.3.0", "0.96", "2.00", "0.2.6", "0.26", "2.6", "4.7.1", "3.4", "5.0", "1.12.3"];

const login = () => ({
  user_id: uuid(),
  app_version: pick(versions),
  device_type: pick(["android", "ios"]),
  ip: `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
  locale: pick(locales),
  device_id: `${int(100, 999)}-${int(10, 99)}-${int(1000, 9999)}`,
});

const invalid = [
  () => JSON.stringify({ foo: "oops_wrong_msg_type", bar: "123" }),
  () => "not json at all",
  () => JSON.stringify({ ...login(), app_version: "abc" }),
  () => JSON.stringify({ ...login(), user_id: 12345 }),
  () => JSON.stringify({ ...login(), device_type: "" }),
  () => JSON.stringify({ ...login(), locale: "x".repeat(40) }),
  () => JSON.stringify(login()).slice(0, 40),
];

const lines = [];
for (let i = 0; i < count; i++) {
  lines.push(random() * 100 < invalidPercent ? pick(invalid)() : JSON.stringify(login()));
  if (lines.length === 10000) {
    process.stdout.write(lines.join("\n") + "\n");
    lines.length = 0;
  }
}
if (lines.length > 0) process.stdout.write(lines.join("\n") + "\n");
