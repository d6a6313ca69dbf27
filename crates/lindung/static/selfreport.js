// The self-report page: pictures are decoded and hashed here, on the device, and only their
// hashes leave it. PDQ and MD5 run in the WebAssembly module /static/pdq.wasm (crates/pdq-wasm).
'use strict';

(function () {
  const messages = JSON.parse(document.getElementById('sr-messages').textContent);
  const $ = (id) => document.getElementById(id);
  const files = $('sr-files');
  const results = $('results');
  const send = $('sr-send');
  const lang = document.documentElement.lang;
  let hashed = [];
  let wasm = null;

  const ready = WebAssembly.instantiateStreaming(fetch('/static/pdq.wasm'), {})
    .then((m) => { wasm = m.instance.exports; });

  function hex(ptr, len) {
    const bytes = new Uint8Array(wasm.memory.buffer, ptr, len);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // Greyscale pictures are hashed from their one channel, as the server's decoder does: PNG
  // colour types 0 and 4, and JPEGs with one component.
  function greyscale(head) {
    const png = [0x89, 0x50, 0x4e, 0x47];
    if (png.every((b, i) => head[i] === b)) return head[25] === 0 || head[25] === 4;
    if (head[0] !== 0xff || head[1] !== 0xd8) return false;
    let at = 2;
    while (at + 9 < head.length && head[at] === 0xff) {
      const marker = head[at + 1];
      const size = (head[at + 2] << 8) | head[at + 3];
      const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (sof) return head[at + 9] === 1;
      at += 2 + size;
    }
    return false;
  }

  const CHUNK = 1 << 20;

  async function md5(file) {
    const state = wasm.md5_new();
    const buffer = wasm.alloc(CHUNK);
    for (let at = 0; at < file.size; at += CHUNK) {
      const bytes = new Uint8Array(await file.slice(at, at + CHUNK).arrayBuffer());
      new Uint8Array(wasm.memory.buffer, buffer, bytes.length).set(bytes);
      wasm.md5_update(state, buffer, bytes.length);
    }
    const out = wasm.alloc(16);
    wasm.md5_finish(state, out);
    return hex(out, 16);
  }

  async function pdq(file) {
    const head = new Uint8Array(await file.slice(0, 65536).arrayBuffer());
    const grey = greyscale(head);
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const width = bitmap.width;
    const height = bitmap.height;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const rgba = context.getImageData(0, 0, width, height).data;
    const channels = grey ? 1 : 4;
    const pixels = wasm.alloc(width * height * channels);
    const out = wasm.alloc(32);
    if (pixels === 0 || out === 0) throw new Error('out of memory');
    const view = new Uint8Array(wasm.memory.buffer, pixels, width * height * channels);
    if (grey) {
      for (let i = 0; i < width * height; i++) view[i] = rgba[4 * i];
    } else {
      view.set(rgba);
    }
    const quality = wasm.pdq_hash(pixels, width, height, channels, out);
    if (quality < 0) throw new Error('cannot hash');
    return { pdq: hex(out, 32), quality };
  }

  function line(text, css) {
    const item = document.createElement('li');
    item.textContent = text;
    if (css) item.className = css;
    results.appendChild(item);
    return item;
  }

  files.addEventListener('change', async () => {
    results.textContent = '';
    hashed = [];
    send.disabled = true;
    await ready;
    const chosen = Array.from(files.files);
    for (let i = 0; i < chosen.length; i++) {
      const file = chosen[i];
      const label = messages['sr-hashing'].replace('%N%', String(i + 1));
      const item = line(label);
      const started = performance.now();
      try {
        wasm.reset();
        const entry = { md5: await md5(file) };
        if (file.type.startsWith('video/')) {
          item.textContent = messages['sr-video-ready'].replace('%N%', String(i + 1));
        } else {
          Object.assign(entry, await pdq(file));
          if (entry.quality < 50) {
            item.textContent = messages['sr-low-quality'].replace('%N%', String(i + 1));
            item.className = 'warn';
          } else {
            item.textContent = messages['sr-hash-ready'].replace('%N%', String(i + 1));
          }
          item.dataset.pdq = entry.pdq;
          item.dataset.quality = String(entry.quality);
        }
        item.dataset.md5 = entry.md5;
        item.dataset.ms = String(Math.round(performance.now() - started));
        if (!entry.pdq || entry.quality > 0) hashed.push(entry);
      } catch (e) {
        item.textContent = messages['sr-unreadable'].replace('%N%', String(i + 1));
        item.className = 'bad';
        item.dataset.error = String(e);
      } finally {
        wasm.reset();
      }
    }
    results.dataset.done = String(chosen.length);
    send.disabled = hashed.length === 0;
  });

  $('sr-help').addEventListener('change', (e) => { $('sr-help-fields').hidden = !e.target.checked; });

  async function post(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
    });
    const data = await response.json().catch(() => ({}));
    return { status: response.status, data };
  }

  function failure(status, data) {
    if (status === 429) return messages['sr-rate-limited'];
    if (status === 404) return messages['sr-not-found'];
    if (data && data.error && data.error.field === 'consent') return messages['sr-consent-needed'];
    return messages['sr-send-failed'];
  }

  $('sr-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const help = $('sr-help').checked;
    const body = {
      files: hashed,
      age_range: $('sr-age').value || null,
      help,
      consent: help && $('sr-consent').checked,
      contact: help ? $('sr-contact').value : null,
      language: lang,
      website: $('sr-website').value,
    };
    send.disabled = true;
    $('sr-send-status').textContent = messages['sr-sending'];
    const { status, data } = await post('/api/v1/selfreport', body);
    if (status === 201) {
      $('case-number').textContent = data.case_number;
      $('pin').textContent = data.pin;
      $('receipt').hidden = false;
      $('sr-send-status').textContent = '';
      files.value = '';
      results.textContent = '';
      hashed = [];
    } else {
      $('sr-send-status').textContent = failure(status, data);
      send.disabled = false;
    }
  });

  function showStatus(data) {
    const name = messages['sr-status-' + data.status] || data.status;
    $('status-result').textContent = messages['sr-status-line']
      .replace('%STATUS%', name)
      .replace('%N%', String(data.matches));
    $('status-result').dataset.status = data.status;
  }

  function caseBody() {
    return { case_number: $('st-case').value.trim(), pin: $('st-pin').value.trim() };
  }

  $('status-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { status, data } = await post('/api/v1/selfreport/status', caseBody());
    if (status === 200) showStatus(data);
    else $('status-result').textContent = failure(status, data);
  });

  let confirming = false;
  $('st-withdraw').addEventListener('click', async () => {
    if (!confirming) {
      confirming = true;
      $('status-result').textContent = messages['sr-withdraw-confirm'];
      return;
    }
    confirming = false;
    const { status, data } = await post('/api/v1/selfreport/withdraw', caseBody());
    if (status === 200) {
      showStatus(data);
      $('status-result').textContent += ' ' + messages['sr-withdrawn-now'];
    } else {
      $('status-result').textContent = failure(status, data);
    }
  });
})();
