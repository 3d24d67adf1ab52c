// A real SMTP server for internal/notify's tests: it listens on a free
// port on 127.0.0.1 (printed first as {"port": N}), offers STARTTLS only
// when asked (TLS=1), accepts one user (USER/PASS) when set, and prints
// every message as {"from", "to", "data"}.
import { SMTPServer } from 'smtp-server'

const auth = process.env.USER_NAME ? { user: process.env.USER_NAME, pass: process.env.PASS } : null
const server = new SMTPServer({
  secure: false,
  disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
  authOptional: !auth,
  allowInsecureAuth: true,
  onAuth (a, session, cb) {
    if (auth && a.username === auth.user && a.password === auth.pass) return cb(null, { user: a.username })
    return cb(new Error('bad credentials'))
  },
  onData (stream, session, cb) {
    const chunks = []
    stream.on('data', (c) => chunks.push(c))
    stream.on('end', () => {
      process.stdout.write(JSON.stringify({
        from: session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
        data: Buffer.concat(chunks).toString('utf8')
      }) + '\n')
      cb()
    })
  }
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.server.address().port }) + '\n')
})
