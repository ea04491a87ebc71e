// Seed 003's TypeScript websocket examples ("send" and "fetch" against ws://localhost:9001/mix) turned
// into plain JavaScript with the npm package `ws`, written from the seed alone: ask the client for
// its own address, send a message to it, fetch until the message comes back. This is the issue's
// acceptance check that an application written from the seed's documentation works unchanged.
//
//   node tests/functional/seed003_example.mjs [ws://localhost:9001/mix]     exit 0 on success
import WebSocket from "ws";

const url = process.argv[2] ?? "ws://localhost:9001/mix";
const text = `seed 003 says hello to itself ${Date.now()}`;
const timer = setTimeout(() => {
  console.log("no message came back within 60 s");
  process.exit(1);
}, 60000);

const conn = new WebSocket(url);
conn.onerror = (ev) => {
  console.log("websocket error: " + ev.message);
  process.exit(1);
};
conn.onopen = () => {
  conn.send(JSON.stringify({ type: "ownDetails" }));
};
conn.onmessage = (ev) => {
  const receivedData = JSON.parse(ev.data);
  if (receivedData.type == "ownDetails") {
    console.log("own address: " + receivedData.address);
    const sendMsg = JSON.stringify({
      type: "send",
      message: text,
      recipient_address: receivedData.address,
    });
    conn.send(sendMsg);
  } else if (receivedData.type == "send") {
    console.log("received send confirmation");
    conn.send(JSON.stringify({ type: "fetch" }));
  } else if (receivedData.type == "fetch") {
    if (receivedData.messages.includes(text)) {
      console.log("fetched the following messages: " + receivedData.messages);
      clearTimeout(timer);
      conn.close();
      process.exit(0);
    }
    const fetchMsg = JSON.stringify({ type: "fetch" });
    setTimeout(() => conn.send(fetchMsg), 200);
  } else {
    console.log("unexpected answer: " + ev.data);
    process.exit(1);
  }
};
