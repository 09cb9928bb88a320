/** What the chat page needs to talk to the sandbox. */
export interface ChatPageOptions {
  token: string;
  user: { id: number; first_name: string; username?: string };
}

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; background: #e7ebf0; display: flex; flex-direction: column; height: 100vh; }
  header { background: #517da2; color: #fff; padding: 10px 16px; font-weight: 600; }
  #log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 6px; }
  .msg { max-width: 70%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; }
  .user { align-self: flex-end; background: #effdde; }
  .bot { align-self: flex-start; background: #fff; }
  .msg img { max-width: 320px; display: block; border-radius: 6px; }
  .edited { color: #8a8a8a; font-size: 11px; }
  .keyboard button { margin: 4px 4px 0 0; }
  form { display: flex; gap: 6px; padding: 8px; background: #fff; }
  #text { flex: 1; padding: 8px; }
`;

/** The chat page: a person types commands, sends photos or documents, and sees the bot's answers. */
export function renderChatPage(options: ChatPageOptions): string {
  const config = JSON.stringify({ token: options.token, user: options.user });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flotilla bot — sandbox chat</title>
<style>${STYLE}</style></head>
<body>
<header>Flotilla bot <small>(local Bot API sandbox)</small></header>
<div id="log" aria-live="polite"></div>
<form id="composer">
  <input id="text" autocomplete="off" placeholder="Type /help, or send a photo or a document">
  <input id="file" type="file" title="Photo or document">
  <label><input id="as-document" type="checkbox"> as file</label>
  <button id="send" type="submit">Send</button>
</form>
<script type="module">
const config = ${config.replace(/</g, '\\u003c')};
const base = '/control/' + encodeURIComponent(config.token);
const log = document.getElementById('log');
let version = -1;

async function post(path, body) {
  const response = await fetch(base + path, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: config.user, ...body }),
  });
  if (!response.ok) alert((await response.json()).description);
}

function base64(file) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1]);
    reader.readAsDataURL(file);
  });
}

function render(messages) {
  log.replaceChildren(...messages.map((message) => {
    const node = document.createElement('div');
    node.className = 'msg ' + message.from;
    node.dataset.messageId = message.message_id;
    if (message.photo) {
      const image = document.createElement('img');
      image.src = base + '/files/' + message.photo.file_id;
      image.alt = 'photo';
      image.className = message.from + '-photo';
      node.append(image);
    }
    if (message.document) node.append('📄 ' + (message.document.file_name || 'file') + ' (' + message.document.file_size + ' bytes)');
    const text = message.text ?? message.caption;
    if (text) node.append(document.createTextNode(text));
    if (message.edits > 0) {
      const edited = document.createElement('div');
      edited.className = 'edited';
      edited.textContent = 'edited';
      node.append(edited);
    }
    const keyboard = message.reply_markup && message.reply_markup.inline_keyboard;
    if (keyboard) {
      const row = document.createElement('div');
      row.className = 'keyboard';
      for (const button of keyboard.flat()) {
        const element = document.createElement('button');
        element.textContent = button.text;
        element.onclick = () => post('/callbacks', { message_id: message.message_id, data: button.callback_data });
        row.append(element);
      }
      node.append(row);
    }
    return node;
  }));
  log.scrollTop = log.scrollHeight;
}

async function poll() {
  for (;;) {
    try {
      const response = await fetch(base + '/chats/' + config.user.id + '?after=' + version + '&wait=25');
      const body = await response.json();
      version = body.version;
      render(body.messages);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

document.getElementById('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = document.getElementById('text');
  const fileInput = document.getElementById('file');
  const file = fileInput.files[0];
  if (file) {
    const data = await base64(file);
    const asDocument = document.getElementById('as-document').checked || !file.type.startsWith('image/');
    if (asDocument) await post('/documents', { data, file_name: file.name, mime_type: file.type || 'application/octet-stream', caption: text.value || undefined });
    else await post('/photos', { data, caption: text.value || undefined });
    fileInput.value = '';
  } else if (text.value.trim()) {
    await post('/messages', { text: text.value });
  }
  text.value = '';
});
poll();
</script>
</body></html>`;
}
