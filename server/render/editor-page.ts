/**
 * The editors' desk: a static shell, filled by client/editor once signed in. Every control has a
 * visible label or an accessible name; outside checks drive the page by them (Token, Sign in, Update,
 * Publish, Edit, Save, Delete, Pin, Unpin), so those names must not be shared by any other control (an
 * entry's open edit form names its fields "Entry update", "Entry author"…). The Update box has no
 * maxlength: a longer text is counted and refused, never cut (composer.ts). Sign-in takes Email and
 * Password (or a Token) and, when single sign-on is set up, offers "Sign in with …" as a link.
 */
import { escapeHtml } from '../../shared/html';
import { LIMITS } from '../../shared/limits';
import { MEDIA_LIMITS } from '../media/types';
import type { PageContext } from './pages';
import { layout } from './layout';

export interface EditorPageOptions {
  /** Single sign-on, when configured: the provider's name and where its sign-in starts. */
  sso?: { label: string; href: string };
}

export function editorPage(context: PageContext, options: EditorPageOptions = {}): string {
  const sso = options.sso
    ? `<p class="ed-sso"><a id="sso-link" href="${escapeHtml(options.sso.href)}">Sign in with ${escapeHtml(options.sso.label)}</a></p>`
    : '';
  const body = `
<main class="ed" data-liveblog-editor>
  <header class="ed-top">
    <h1>Editors’ desk</h1>
    <p class="ed-who" id="who"></p>
    <button type="button" id="sign-out" hidden>Sign out</button>
  </header>

  <section id="sign-in" class="ed-card ed-sign-in" aria-labelledby="sign-in-heading">
    <h2 id="sign-in-heading">Sign in</h2>
    <p class="ed-error" id="sign-in-error" role="alert"></p>
    ${sso}
    <form id="sign-in-form" novalidate>
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" spellcheck="false" maxlength="${LIMITS.email}">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" maxlength="${LIMITS.passwordMax}">
      <div class="ed-token-way">
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="token-hint">
        <p class="ed-hint" id="token-hint">Or, instead of email and password, a token (for scripts and shared desks): kept in this tab only, never put in a URL.</p>
      </div>
      <button type="submit">Sign in</button>
    </form>
  </section>

  <div id="desk" class="ed-desk" hidden>
    <p id="offline-banner" class="ed-offline" role="alert" hidden>
      <span class="ed-offline__long">Offline: the desk cannot reach the server. Keep writing: your text is saved in this browser. Publish when this message clears.</span>
      <span class="ed-offline__short">Offline: the desk cannot reach the server. Your text is saved here; publish when this clears.</span>
    </p>
    <nav class="ed-skip" aria-label="Parts of the desk">
      <a href="#composer">Write</a> <a href="#entries">Entries</a> <a href="#blog-panel">This blog</a>
    </nav>
    <section class="ed-bar" aria-labelledby="blogs-heading">
      <h2 id="blogs-heading" class="ed-sr">Blog</h2>
      <div class="ed-bar__row">
        <label for="blog-select">Blog to edit</label>
        <select id="blog-select"></select>
        <button type="button" id="new-blog" aria-expanded="false" aria-controls="new-blog-form">New blog</button>
        <p class="ed-connection" id="connection" role="status" hidden></p>
        <p class="ed-readers"><span id="readers">0</span> <span id="readers-label">readers</span> watching now ·
          <a id="reader-link" href="/" target="_blank" rel="noopener">Open the reader’s page</a></p>
      </div>
      <p class="ed-error" id="desk-status" role="alert"></p>
      <form id="new-blog-form" class="ed-card" hidden>
        <label for="new-blog-id">New blog’s address (letters, digits, dashes)</label>
        <input id="new-blog-id" type="text" required pattern="[a-z0-9][a-z0-9\\-]{0,63}" maxlength="64" spellcheck="false">
        <label for="new-blog-title">New blog’s title</label>
        <input id="new-blog-title" type="text" required maxlength="${LIMITS.blogTitle}">
        <label for="new-blog-description">New blog’s description</label>
        <textarea id="new-blog-description" rows="2" maxlength="${LIMITS.blogDescription}"></textarea>
        <button type="submit">Create blog</button>
        <p class="ed-error" id="new-blog-error" role="alert"></p>
      </form>
    </section>

    <div class="ed-work">
      <div class="ed-column">
      <section id="composer" class="ed-card ed-composer" aria-labelledby="composer-heading" tabindex="-1" hidden>
        <h2 id="composer-heading">New entry</h2>
        <p class="ed-ended" id="ended-notice" hidden>This blog has ended: reopen it to publish.</p>
        <form id="composer-form">
          <label for="entry-title">Headline (optional)</label>
          <input id="entry-title" type="text" maxlength="${LIMITS.updateTitle}">
          <label for="entry-body">Update</label>
          <textarea id="entry-body" rows="7" aria-describedby="entry-count" placeholder="Markdown: **bold**, *italic*, [link](https://…), > quote, - list"></textarea>
          <p class="ed-hint ed-count" id="entry-count" aria-live="polite" hidden></p>
          <div class="ed-row ed-picture-row">
            <button type="button" id="add-picture" class="ed-add-picture">Add picture</button>
            <input type="file" id="picture-input" hidden tabindex="-1" aria-label="Picture to add">
            <span class="ed-hint">or paste or drop one into the Update box</span>
          </div>
          <p class="ed-status ed-picture-note" id="picture-note" role="status"></p>
          <div class="ed-row ed-publish-row">
            <button type="submit" id="publish">Publish</button>
            <span class="ed-hint">or Ctrl+Enter (⌘+Enter)</span>
            <label><input type="checkbox" id="entry-key"> Key event</label>
            <label><input type="checkbox" id="entry-pinned"> Pinned to the top</label>
          </div>
          <p class="ed-status" id="composer-status" role="status" aria-live="polite"></p>
          <div class="ed-row">
            <span><label for="entry-author">Author</label>
            <input id="entry-author" type="text" maxlength="${LIMITS.author}" autocomplete="name"></span>
            <fieldset class="ed-time">
              <legend>Time</legend>
              <label><input type="radio" name="time-mode" value="now" checked> Now</label>
              <label><input type="radio" name="time-mode" value="set"> Set by hand</label>
              <span class="ed-time__set" hidden>
                <label for="entry-time" class="ed-sr">Publish time</label>
                <input id="entry-time" type="datetime-local" step="60" disabled>
                <label for="entry-zone-name" class="ed-sr">Time zone</label>
                <input id="entry-zone-name" type="text" class="ed-zone" list="entry-zone-list" spellcheck="false" autocomplete="off" disabled>
              </span>
              <span id="entry-zone" class="ed-hint"></span>
            </fieldset>
          </div>
        </form>
        <datalist id="entry-zone-list"></datalist>
        <details class="ed-preview-box" open>
          <summary>Preview</summary>
          <div id="preview" class="ed-preview" aria-live="off"></div>
        </details>
      </section>
      <section id="pending" class="ed-card ed-pending" aria-labelledby="pending-heading" tabindex="-1" hidden>
        <h2 id="pending-heading">Pending</h2>
        <p class="ed-status" id="pending-status" role="status" aria-live="polite"></p>
        <ol id="pending-list" class="ed-list"></ol>
      </section>
      <section id="pictures" class="ed-card ed-pictures" aria-labelledby="pictures-heading" tabindex="-1" hidden>
        <h2 id="pictures-heading">Pictures</h2>
        <p class="ed-hint">Uploaded to this blog, newest first. Insert puts one where the cursor is in the Update box.</p>
        <p class="ed-status" id="pictures-status" role="status" aria-live="polite"></p>
        <ol id="picture-list" class="ed-list ed-picture-list"></ol>
      </section>
      </div>

      <section id="entries" class="ed-card ed-entries" aria-labelledby="entries-heading" tabindex="-1" hidden>
        <h2 id="entries-heading">Published</h2>
        <form id="entry-search" role="search" class="ed-search">
          <label for="entry-search-text" class="ed-sr">Search entries</label>
          <input id="entry-search-text" type="search" placeholder="Search entries" spellcheck="false">
          <button type="submit">Search</button>
          <button type="button" id="entry-search-clear" hidden>Show all</button>
        </form>
        <p class="ed-status" id="entries-status" role="status"></p>
        <div id="entries-notices" class="ed-notices" aria-live="polite"></div>
        <ol id="entry-list" class="ed-list"></ol>
        <button type="button" id="load-older" hidden>Load older</button>
      </section>
    </div>

    <section id="blog-panel" class="ed-card" aria-labelledby="blog-panel-heading" tabindex="-1" hidden>
      <h2 id="blog-panel-heading">This blog</h2>
      <form id="blog-form">
        <label for="blog-title">Blog title</label>
        <input id="blog-title" type="text" required maxlength="${LIMITS.blogTitle}">
        <label for="blog-description">Blog description</label>
        <textarea id="blog-description" rows="2" maxlength="${LIMITS.blogDescription}"></textarea>
        <div class="ed-row"><button type="submit">Apply</button></div>
        <p class="ed-status" id="blog-status" role="status"></p>
      </form>
      <div class="ed-life" role="group" aria-labelledby="blog-life-heading">
        <h3 id="blog-life-heading">Status</h3>
        <p id="blog-life"></p>
        <button type="button" id="end-blog" class="ed-danger">End live blog</button>
        <button type="button" id="reopen-blog" hidden>Reopen live blog</button>
        <p class="ed-status" id="blog-life-status" role="status"></p>
      </div>
    </section>

    <section id="figures" class="ed-card" aria-labelledby="figures-heading" tabindex="-1" data-chart-src="${escapeHtml(context.assets.url('desk-stats.js'))}" hidden>
      <h2 id="figures-heading">Figures</h2>
      <div id="figures-body"></div>
    </section>

    <section id="blog-history" class="ed-card" aria-labelledby="blog-history-heading" tabindex="-1" hidden>
      <h2 id="blog-history-heading">History</h2>
      <p class="ed-hint">Who published, changed, approved or deleted what on this blog, newest first.</p>
      <button type="button" id="blog-history-toggle" aria-expanded="false" aria-controls="blog-history-body">Show history</button>
      <div id="blog-history-body" hidden>
        <ol id="blog-history-list" class="ed-list ed-audit"></ol>
        <p class="ed-status" id="blog-history-status" role="status"></p>
        <button type="button" id="blog-history-older" hidden>Load older</button>
      </div>
    </section>

    <section id="people" class="ed-card" aria-labelledby="people-heading" hidden>
      <h2 id="people-heading">People</h2>
      <!-- Stamped out once an admin is signed in: before that, its Email would share a name with sign-in's. -->
      <template>
      <form id="invite-form">
        <h3>Invite someone</h3>
        <label for="invite-email">Email</label>
        <input id="invite-email" type="email" required maxlength="${LIMITS.email}" spellcheck="false" autocomplete="off">
        <label for="invite-name">Name</label>
        <input id="invite-name" type="text" required maxlength="${LIMITS.personName}" autocomplete="off">
        <label for="invite-role">Role</label>
        <select id="invite-role">
          <option value="contributor">Contributor: submits entries for approval</option>
          <option value="editor" selected>Editor: publishes, edits, approves</option>
          <option value="admin">Admin: everything, people and tokens too</option>
        </select>
        <label for="invite-blogs">Their blogs (comma-separated; * for all)</label>
        <input id="invite-blogs" type="text" spellcheck="false">
        <button type="submit">Invite</button>
        <p class="ed-error" id="invite-error" role="alert"></p>
      </form>
      <div id="invite-link-box" hidden>
        <p id="invite-link-text" role="status"></p>
        <label for="invite-link">Invitation link (works once, for 7 days)</label>
        <input id="invite-link" type="text" readonly spellcheck="false">
        <button type="button" id="invite-copy">Copy link</button>
      </div>
      <p class="ed-status" id="people-status" role="status"></p>
      <ul id="people-list" class="ed-list"></ul>
      </template>
    </section>

    <section id="access" class="ed-card" aria-labelledby="access-heading" hidden>
      <h2 id="access-heading">Access</h2>
      <form id="access-form">
        <label for="access-name">Holder’s name</label>
        <input id="access-name" type="text" required maxlength="${LIMITS.tokenName}">
        <label for="access-blogs">Blogs it may edit (comma-separated; * for all, and creating blogs)</label>
        <input id="access-blogs" type="text" required spellcheck="false">
        <button type="submit">Create token</button>
        <p class="ed-error" id="access-error" role="alert"></p>
      </form>
      <div id="access-secret" hidden>
        <label for="access-secret-value">New secret, shown only once</label>
        <input id="access-secret-value" type="text" readonly spellcheck="false">
        <button type="button" id="access-copy">Copy</button>
      </div>
      <ul id="access-list" class="ed-list"></ul>
    </section>

    <section id="webhooks" class="ed-card" aria-labelledby="webhooks-heading" hidden>
      <h2 id="webhooks-heading">Webhooks</h2>
      <div id="webhooks-body"></div>
    </section>

    <section id="account" class="ed-card" aria-labelledby="account-heading" hidden>
      <h2 id="account-heading">Your account</h2>
      <template>
      <p id="account-who"></p>
      <form id="password-form">
        <h3>Change your password</h3>
        <!-- For password managers: whose password this is. -->
        <input id="account-username" type="email" autocomplete="username" hidden readonly>
        <label for="current-password">Current password</label>
        <input id="current-password" type="password" autocomplete="current-password" required maxlength="${LIMITS.passwordMax}">
        <label for="new-password">New password (at least ${LIMITS.passwordMin} characters)</label>
        <input id="new-password" type="password" autocomplete="new-password" required minlength="${LIMITS.passwordMin}" maxlength="${LIMITS.passwordMax}">
        <button type="submit">Change password</button>
        <p class="ed-status" id="password-status" role="status"></p>
      </form>
      </template>
    </section>
  </div>

  <dialog id="remove-dialog" aria-labelledby="remove-dialog-heading" aria-describedby="remove-dialog-text">
    <h2 id="remove-dialog-heading">Remove this person?</h2>
    <p id="remove-dialog-text"></p>
    <div class="ed-row">
      <button type="button" id="remove-confirm" class="ed-danger">Remove</button>
      <button type="button" id="remove-cancel" autofocus>Cancel</button>
    </div>
  </dialog>

  <dialog id="picture-dialog" class="ed-picture-dialog" aria-labelledby="picture-dialog-heading">
    <form id="picture-form" novalidate>
      <h2 id="picture-dialog-heading">Add a picture</h2>
      <div id="picture-preview" class="ed-picture-preview"></div>
      <p class="ed-hint" id="picture-file"></p>
      <fieldset id="picture-fields" class="ed-picture-fields">
        <legend class="ed-sr">About the picture</legend>
        <label for="picture-alt">Alt text</label>
        <textarea id="picture-alt" rows="2" required maxlength="${MEDIA_LIMITS.altChars}" aria-describedby="picture-alt-hint"></textarea>
        <p class="ed-hint" id="picture-alt-hint">Required. What the picture shows, in a sentence, for readers who cannot see it (screen readers read it out; it shows when the picture does not load). Say what matters for the story, not “photo of”.</p>
        <label for="picture-caption">Caption</label>
        <input id="picture-caption" type="text" maxlength="${MEDIA_LIMITS.captionChars}" aria-describedby="picture-caption-hint">
        <p class="ed-hint" id="picture-caption-hint">Shown under the picture, for everyone.</p>
        <label for="picture-credit">Credit</label>
        <input id="picture-credit" type="text" maxlength="${MEDIA_LIMITS.creditChars}" placeholder="Photographer / Agency">
      </fieldset>
      <progress id="picture-progress" class="ed-picture-progress" max="1" hidden aria-labelledby="picture-status"></progress>
      <p class="ed-status" id="picture-status" role="status" aria-live="polite"></p>
      <p class="ed-error" id="picture-error" role="alert"></p>
      <div class="ed-row">
        <button type="submit" id="picture-upload">Upload</button>
        <button type="button" id="picture-cancel">Cancel</button>
        <span class="ed-hint">or Ctrl+Enter (⌘+Enter) to upload</span>
      </div>
    </form>
  </dialog>

  <dialog id="takedown-dialog" aria-labelledby="takedown-heading" aria-describedby="takedown-text">
    <h2 id="takedown-heading">Take down this picture?</h2>
    <p id="takedown-text"></p>
    <div class="ed-row">
      <button type="button" id="takedown-confirm" class="ed-danger">Take down</button>
      <button type="button" id="takedown-cancel" autofocus>Cancel</button>
    </div>
  </dialog>

  <dialog id="end-dialog" aria-labelledby="end-dialog-heading" aria-describedby="end-dialog-text">
    <h2 id="end-dialog-heading">End this live blog?</h2>
    <p id="end-dialog-text">Readers will see that the story is over, and nobody can publish to it until it is reopened.</p>
    <div class="ed-row">
      <button type="button" id="end-confirm" class="ed-danger">End the live blog</button>
      <button type="button" id="end-cancel" autofocus>Cancel</button>
    </div>
  </dialog>
</main>`;
  return layout({
    title: 'Editors’ desk',
    body,
    stylesheets: [context.assets.url('reader.css'), context.assets.url('editor.css')],
    scripts: [context.assets.url('editor.js')],
  });
}
