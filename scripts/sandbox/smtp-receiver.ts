// The sandbox's SMTP receiver as its own process: every notice mailshift sends lands in
// .sandbox/outbox/ as a .eml file the operator can open.
import { startSmtpReceiver } from '../servers/smtp';

const [port, saveDir] = [Number(process.argv[2]), process.argv[3]];
startSmtpReceiver({ port, saveDir })
  .then(() => console.log(`SMTP receiver on 127.0.0.1:${port}, saving to ${saveDir}`))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
