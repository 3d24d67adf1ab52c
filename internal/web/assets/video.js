// Video consultations (internal/video): the camera check, the waiting
// room and the call, for the patient's, the guest's and the clinician's
// pages. WebRTC in the browser; signalling over the page's WebSocket
// (data-ws on #video-call). Media goes browser to browser, or through a
// TURN relay, never through gpcloud. Vanilla, no build step; a module
// file so the Content-Security-Policy can forbid inline code.
const root = document.getElementById('video-call')
const check = document.getElementById('media-check')
const $ = (id) => document.getElementById(id)
const say = (id, text) => { const e = $(id); if (e) e.textContent = text }
const show = (id, on) => { const e = $(id); if (e) e.hidden = !on }

// What the browser said about the camera and microphone, in words a
// patient can act on.
function mediaProblem (err) {
  switch (err && err.name) {
    case 'NotAllowedError': case 'SecurityError':
      return 'Your browser has blocked the camera or microphone. Select the camera or padlock icon next to the web address, allow the camera and microphone for this site, then reload the page.'
    case 'NotFoundError': case 'OverconstrainedError':
      return 'No camera or microphone was found. Plug one in, or use a phone, tablet or computer that has one, then reload the page.'
    case 'NotReadableError': case 'AbortError':
      return 'Another app is using your camera or microphone. Close other video call apps, then reload the page.'
    default:
      return 'Your browser cannot use a camera here. Try the latest Chrome, Safari, Edge or Firefox. You can still wait for your appointment: the clinician can phone you instead.'
  }
}

async function getMedia () {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error('unsupported')
  try {
    return await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
  } catch (err) {
    // Audio only is better than nothing (no camera, or it is in use).
    if (err.name === 'NotFoundError' || err.name === 'NotReadableError') {
      return await navigator.mediaDevices.getUserMedia({ audio: true })
    }
    throw err
  }
}

// The check before joining: the patient sees and hears themselves.
if (check) {
  $('check-start').addEventListener('click', async () => {
    try {
      const stream = await getMedia()
      $('check-video').srcObject = stream
      show('check-video', true)
      show('media-refused', false)
      say('check-status', stream.getVideoTracks().length ? 'Your camera and microphone are working.' : 'Your microphone is working. No camera was found: you can join with sound only.')
    } catch (err) {
      show('media-refused', true)
      say('media-refused-text', mediaProblem(err))
      say('check-status', 'Your camera or microphone is not working yet.')
      $('media-refused').focus()
    }
  })
}

if (root) call()

function call () {
  const me = { id: '', conn: '', admitted: false }
  const role = root.dataset.role
  const relay = new URLSearchParams(location.search).get('relay') === '1'
  let ice = []
  let local = null
  let ended = false
  let ws = null
  const pcs = new Map() // participant id → { pc, conn, pending ICE }
  const names = new Map()

  const status = (text) => say('call-status', text)

  function send (m) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)) }

  function remoteVideo (id) {
    let v = document.getElementById('remote-' + id)
    if (!v) {
      const fig = document.createElement('figure')
      fig.className = 'gp-video__remote'
      fig.id = 'remote-fig-' + id
      v = document.createElement('video')
      v.id = 'remote-' + id
      v.autoplay = true
      v.playsInline = true
      v.setAttribute('aria-label', 'Video of ' + (names.get(id) || id))
      const cap = document.createElement('figcaption')
      cap.textContent = names.get(id) || id
      fig.append(v, cap)
      $('remote-videos').append(fig)
    }
    return v
  }

  function closePeer (id) {
    const e = pcs.get(id)
    if (e) { e.pc.close(); pcs.delete(id) }
    const fig = document.getElementById('remote-fig-' + id)
    if (fig) fig.remove()
  }

  function peer (id, conn) {
    const old = pcs.get(id)
    if (old && old.conn === conn) return old
    if (old) closePeer(id)
    const pc = new RTCPeerConnection({ iceServers: ice, iceTransportPolicy: relay ? 'relay' : 'all' })
    const e = { pc, conn, pending: [] }
    pcs.set(id, e)
    if (local) local.getTracks().forEach((t) => pc.addTrack(t, local))
    if (local && soundOnly) pauseVideo(pc, true, null)
    else {
      pc.addTransceiver('audio', { direction: 'recvonly' })
      pc.addTransceiver('video', { direction: 'recvonly' })
    }
    pc.ontrack = (ev) => {
      const v = remoteVideo(id)
      v.srcObject = ev.streams[0] || new MediaStream([ev.track])
      // When the first frame is shown (the benchmark's finish line).
      if (ev.track.kind === 'video' && v.requestVideoFrameCallback) v.requestVideoFrameCallback(() => { window.gpVideo.firstFrame = window.gpVideo.firstFrame || Date.now() })
    }
    pc.onicecandidate = (ev) => { if (ev.candidate) send({ type: 'signal', to: id, toConn: conn, data: { candidate: ev.candidate } }) }
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') status('Connected.')
      if (pc.connectionState === 'failed') status('The connection failed. Trying again…')
      if (pc.connectionState === 'failed' && me.id < id) pc.restartIce()
    }
    pc.onnegotiationneeded = async () => {
      if (me.id > id) return // the other side offers
      await pc.setLocalDescription()
      send({ type: 'signal', to: id, toConn: conn, data: { description: pc.localDescription } })
    }
    return e
  }

  async function onSignal (m) {
    const e = peer(m.from, m.fromConn)
    const d = m.data || {}
    if (d.description) {
      await e.pc.setRemoteDescription(d.description)
      for (const c of e.pending.splice(0)) await e.pc.addIceCandidate(c).catch(() => {})
      if (d.description.type === 'offer') {
        await e.pc.setLocalDescription()
        send({ type: 'signal', to: m.from, toConn: m.fromConn, data: { description: e.pc.localDescription } })
      }
    } else if (d.candidate) {
      if (e.pc.remoteDescription) await e.pc.addIceCandidate(d.candidate).catch(() => {})
      else e.pending.push(d.candidate)
    }
  }

  function onPresence (m) {
    window.gpVideo.presences++
    for (const p of m.peers) names.set(p.id, p.name)
    const mine = m.peers.find((p) => p.id === me.id)
    me.admitted = !!(mine && mine.admitted)
    if (m.ended) {
      ended = true
      for (const id of [...pcs.keys()]) closePeer(id)
      if (local) local.getTracks().forEach((t) => t.stop())
      show('waiting-room', false); show('in-call', false); show('call-ended', true)
      show('self-fig', false); show('chat', false); show('switched-phone', false)
      status('The call has ended.')
      const h = $('call-ended'); if (h) h.focus()
      return
    }
    if (m.mode === 'telephone') {
      for (const id of [...pcs.keys()]) closePeer(id)
      show('switched-phone', true)
    }
    show('waiting-room', !me.admitted)
    show('in-call', me.admitted)
    if (role === 'clinician') renderWaiting(m.peers)
    const others = m.peers.filter((p) => p.id !== me.id)
    const clinician = others.find((p) => p.role === 'clinician')
    if (!me.admitted) status('Connected. Waiting to be let in.')
    if (!me.admitted) say('waiting-status', clinician && clinician.present ? (clinician.name || 'Your clinician') + ' knows you are here and will let you in soon.' : 'The practice knows you are here. Your clinician will let you in when they are ready.')
    for (const p of others) {
      if (p.present && p.admitted && me.admitted && m.mode === 'video') {
        peer(p.id, p.conn) // adding tracks starts the negotiation
      } else if (pcs.has(p.id)) closePeer(p.id)
    }
    const inCall = others.filter((p) => p.present && p.admitted).map((p) => p.name)
    if (me.admitted) status(inCall.length ? 'In the call with ' + inCall.join(', ') + '.' : 'Waiting for the others to join.')
  }

  // renderWaiting updates the waiting list in place. Presence arrives
  // with every heartbeat, so rebuilding the list would take the focus
  // from a "Let in" button a keyboard user had just reached: a button
  // stays while its patient waits, and when this script's button
  // replaces the page's own form button it takes over the focus.
  function renderWaiting (peers) {
    const list = $('waiting-list')
    if (!list) return
    const waiting = peers.filter((p) => p.present && !p.admitted)
    const want = new Set(waiting.map((p) => 'admit-' + p.id))
    const focused = list.contains(document.activeElement) ? document.activeElement.id : ''
    for (const li of [...list.children]) {
      const b = li.querySelector('button')
      if (!b || b.type !== 'button' || !want.has(b.id)) li.remove()
    }
    show('nobody-waiting', waiting.length === 0)
    for (const p of waiting) {
      const label = 'Let in ' + p.name
      const old = $('admit-' + p.id)
      if (old) {
        if (old.textContent !== label) old.textContent = label
        continue
      }
      const li = document.createElement('li')
      const b = document.createElement('button')
      b.className = 'nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-2'
      b.type = 'button'
      b.id = 'admit-' + p.id
      b.textContent = label
      b.addEventListener('click', () => send({ type: 'admit', to: p.id }))
      li.append(b)
      list.append(li)
    }
    if (focused && document.activeElement !== $(focused) && $(focused)) $(focused).focus()
  }

  function onChat (m) {
    const li = document.createElement('li')
    const who = document.createElement('strong')
    who.textContent = (m.from === me.id ? 'You' : m.name) + ': '
    li.append(who, document.createTextNode(m.text))
    $('chat-log').append(li)
  }

  // Sound only: on a poor connection (or when asked) this side stops
  // sending video, keeping the sound; "Try video again" resumes it.
  let soundOnly = false
  async function setSoundOnly (on, why) {
    soundOnly = on
    const track = local && local.getVideoTracks()[0]
    for (const { pc } of pcs.values()) await pauseVideo(pc, on, track)
    const b = $('sound-only')
    if (b) {
      b.setAttribute('aria-pressed', String(on))
      b.textContent = on ? 'Try video again' : 'Sound only'
    }
    show('poor-connection', on && why === 'poor')
    if (on) status(why === 'poor' ? 'Your connection is poor: sound only, to keep the call going.' : 'Sound only: your video is paused.')
  }

  // The video sender of a connection (found by its m-line's kind) stops
  // or starts sending the camera.
  async function pauseVideo (pc, on, track) {
    for (const t of pc.getTransceivers()) {
      if (t.receiver.track && t.receiver.track.kind === 'video' && (on || track)) await t.sender.replaceTrack(on ? null : track).catch(() => {})
    }
  }

  // Every 2 seconds: too little bandwidth to send video three times in a
  // row switches to sound only.
  let poor = 0
  setInterval(async () => {
    if (soundOnly || !local || !local.getVideoTracks().length) return
    for (const { pc } of pcs.values()) {
      if (pc.connectionState !== 'connected') continue
      const stats = await pc.getStats()
      let rate = -1
      stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) rate = s.availableOutgoingBitrate })
      poor = rate >= 0 && rate < 150000 ? poor + 1 : 0
      if (poor >= 3) { poor = 0; setSoundOnly(true, 'poor') }
    }
  }, 2000)

  // A photo from the patient, on the clinician's page: shown, and kept
  // in the record only if the clinician says so (with what they must
  // record: intimate or not, asked for, the patient's consent).
  let photos = 0
  function onPhoto (m) {
    const list = $('photos')
    if (!list) return
    show('photos-section', true)
    const n = ++photos
    const id = (s) => 'photo-' + n + '-' + s
    const li = document.createElement('li')
    const at = new Date(m.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
    const img = document.createElement('img')
    img.src = m.photo
    img.alt = 'Photo sent by ' + m.name + ' at ' + at
    img.className = 'gp-video__photo'
    const form = document.createElement('form')
    form.noValidate = true
    form.innerHTML = `
      <div class="nhsuk-form-group"><label class="nhsuk-label" for="${id('description')}">What it shows</label>
        <input class="nhsuk-input" id="${id('description')}" name="description" type="text" maxlength="200"></div>
      <div class="nhsuk-form-group"><fieldset class="nhsuk-fieldset"><legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Is it an intimate image?</legend>
        <div class="nhsuk-radios nhsuk-radios--inline nhsuk-radios--small">
          <div class="nhsuk-radios__item"><input class="nhsuk-radios__input" id="${id('intimate-yes')}" name="intimate" type="radio" value="yes"><label class="nhsuk-label nhsuk-radios__label" for="${id('intimate-yes')}">Yes</label></div>
          <div class="nhsuk-radios__item"><input class="nhsuk-radios__input" id="${id('intimate-no')}" name="intimate" type="radio" value="no"><label class="nhsuk-label nhsuk-radios__label" for="${id('intimate-no')}">No</label></div>
        </div></fieldset></div>
      <div class="nhsuk-checkboxes nhsuk-checkboxes--small nhsuk-u-margin-bottom-4">
        <div class="nhsuk-checkboxes__item"><input class="nhsuk-checkboxes__input" id="${id('requested')}" name="requested" type="checkbox" value="yes"><label class="nhsuk-label nhsuk-checkboxes__label" for="${id('requested')}">I asked the patient for this photo</label></div>
        <div class="nhsuk-checkboxes__item"><input class="nhsuk-checkboxes__input" id="${id('consent')}" name="consent" type="checkbox" value="yes"><label class="nhsuk-label nhsuk-checkboxes__label" for="${id('consent')}">The patient gave explicit consent to keep it in their record</label></div>
      </div>
      <ul class="nhsuk-list" id="${id('errors')}" role="alert"></ul>
      <div class="gp-actions">
        <button class="nhsuk-button nhsuk-button--secondary" type="submit" id="${id('keep')}">Keep in the record</button>
        <button class="nhsuk-button nhsuk-button--secondary" type="button" id="${id('discard')}">Do not keep</button>
      </div>`
    li.append(img, form)
    list.append(li)
    $(id('discard')).addEventListener('click', () => li.remove())
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault()
      const body = new URLSearchParams(new FormData(form))
      body.set('photo', m.photo)
      body.set('csrf', list.dataset.csrf)
      body.set('patient', list.dataset.patient)
      const errors = $(id('errors'))
      errors.replaceChildren()
      try {
        const res = await fetch(list.dataset.photoUrl, { method: 'POST', body, credentials: 'same-origin' })
        const out = await res.json()
        if (out.kept) {
          li.replaceChildren(img, Object.assign(document.createElement('p'), { className: 'nhsuk-body-s', id: id('kept'), textContent: 'Kept in the record, hidden from online access.' }))
          return
        }
        for (const msg of Object.values(out.errors || {})) {
          errors.append(Object.assign(document.createElement('li'), { className: 'nhsuk-error-message', textContent: msg }))
        }
      } catch (err) {
        errors.append(Object.assign(document.createElement('li'), { className: 'nhsuk-error-message', textContent: 'The photo could not be kept. Try again.' }))
      }
    })
  }

  // The patient sends a photo: scaled down to at most 1600 px, as JPEG.
  const photoInput = $('photo')
  if (photoInput) {
    photoInput.addEventListener('change', async () => {
      const file = photoInput.files[0]
      if (!file) return
      try {
        const bitmap = await createImageBitmap(file)
        const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height))
        const canvas = document.createElement('canvas')
        canvas.width = Math.round(bitmap.width * scale)
        canvas.height = Math.round(bitmap.height * scale)
        canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height)
        send({ type: 'photo', photo: canvas.toDataURL('image/jpeg', 0.85) })
        say('photo-status', 'Photo sent to the clinician.')
      } catch (err) {
        say('photo-status', 'This photo could not be sent. Choose a JPEG or PNG photo.')
      }
      photoInput.value = ''
    })
  }

  function connect () {
    if (ended) return
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://'
    ws = new WebSocket(scheme + location.host + root.dataset.ws)
    ws.onmessage = async (ev) => {
      const m = JSON.parse(ev.data)
      if (m.type === 'welcome') { me.id = m.you; me.conn = m.conn; ice = m.ice || [] }
      if (m.type === 'presence') onPresence(m)
      if (m.type === 'signal') await onSignal(m).catch((err) => console.warn('signal', err))
      if (m.type === 'chat') onChat(m)
      if (m.type === 'photo') onPhoto(m)
    }
    ws.onclose = () => {
      if (ended) return
      status('Connection lost. Reconnecting…')
      for (const id of [...pcs.keys()]) closePeer(id)
      setTimeout(connect, 1000)
    }
  }

  // Controls: mute, camera off, leave; chat.
  const mute = $('mute')
  if (mute) {
    mute.addEventListener('click', () => {
      if (!local) return
      const on = mute.getAttribute('aria-pressed') !== 'true'
      local.getAudioTracks().forEach((t) => { t.enabled = !on })
      mute.setAttribute('aria-pressed', String(on))
      mute.textContent = on ? 'Unmute microphone' : 'Mute microphone'
    })
  }
  const cam = $('camera')
  if (cam) {
    cam.addEventListener('click', () => {
      if (!local) return
      const off = cam.getAttribute('aria-pressed') !== 'true'
      local.getVideoTracks().forEach((t) => { t.enabled = !off })
      cam.setAttribute('aria-pressed', String(off))
      cam.textContent = off ? 'Turn camera on' : 'Turn camera off'
    })
  }
  const soundBtn = $('sound-only')
  if (soundBtn) soundBtn.addEventListener('click', () => setSoundOnly(!soundOnly, 'asked'))
  const leave = $('leave')
  if (leave) {
    leave.addEventListener('click', () => {
      ended = true
      if (ws) ws.close()
      for (const id of [...pcs.keys()]) closePeer(id)
      if (local) local.getTracks().forEach((t) => t.stop())
      show('in-call', false); show('waiting-room', false); show('left-call', true)
      status('You have left the call.')
    })
  }
  const rejoin = $('rejoin')
  if (rejoin) rejoin.addEventListener('click', () => location.reload())
  const chat = $('chat-form')
  if (chat) {
    chat.addEventListener('submit', (ev) => {
      ev.preventDefault()
      const input = $('chat-text')
      if (input.value.trim()) send({ type: 'chat', text: input.value })
      input.value = ''
    })
  }

  // For tests and the benchmark: bytes received by kind, and whether
  // the media goes through a relay.
  window.gpVideo = {
    firstFrame: 0,
    presences: 0,
    soundOnly: (why) => setSoundOnly(true, why || 'poor'),
    peers: () => [...pcs.keys()],
    stats: async () => {
      const out = { audio: 0, video: 0, frames: 0, relay: false, connected: 0, policy: relay ? 'relay' : 'all' }
      for (const { pc } of pcs.values()) {
        if (pc.connectionState === 'connected') out.connected++
        const stats = await pc.getStats()
        const pairs = []
        stats.forEach((s) => {
          if (s.type === 'outbound-rtp' && s.kind === 'video') out.sentVideoFrames = (out.sentVideoFrames || 0) + (s.framesSent || 0)
          if (s.type === 'inbound-rtp') {
            out[s.kind] += s.bytesReceived || 0
            if (s.kind === 'video') out.frames += s.framesDecoded || 0
          }
          if (s.type === 'transport' && s.selectedCandidatePairId) pairs.push(stats.get(s.selectedCandidatePairId))
        })
        for (const p of pairs) {
          const c = p && stats.get(p.localCandidateId)
          if (c && c.candidateType === 'relay') out.relay = true
          out.paths = (out.paths || []).concat([(c && c.candidateType) + '→' + ((stats.get(p.remoteCandidateId) || {}).candidateType)])
        }
      }
      return JSON.stringify(out)
    }
  }

  getMedia().then((s) => {
    local = s
    const self = $('self-view')
    if (self) { self.srcObject = s; self.muted = true }
  }).catch((err) => {
    show('self-fig', false)
    show('media-refused', true)
    say('media-refused-text', mediaProblem(err))
  }).finally(connect)
}

// The consultation form beside the video (#call-consultation): htmx loads
// it and posts it into its own container, so saving never reloads the
// page (which would drop the call). A form with errors (422) or a refused
// save (409) is swapped in too, to show its error summary; focus goes to
// the error summary or the saved confirmation, as after a page load.
const consult = $('call-consultation')
if (consult) {
  document.body.addEventListener('htmx:beforeSwap', (e) => {
    if (e.detail.target === consult && [409, 422].includes(e.detail.xhr.status)) {
      e.detail.shouldSwap = true
      e.detail.isError = false
    }
  })
  document.body.addEventListener('htmx:afterSwap', (e) => {
    if (e.detail.target !== consult || e.detail.requestConfig.verb === 'get') return
    const to = consult.querySelector('.nhsuk-error-summary, #saved')
    if (to) to.focus()
  })
}
