package forum

import (
	"bytes"
	"fmt"
	"image"
	pngenc "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/testutil"
)

func TestEditKeepsHistory(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	bob := testutil.Member(t, e.app, "bob@x.io", "Bob")
	topic := e.need(t, ann, KindRequest)
	post, err := e.mod.forum.Reply(ann, topic.Id, "First **version**")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.mod.forum.EditPost(bob, post.Id, "hijacked"); err != ErrNotYours {
		t.Errorf("EditPost by another member = %v, want ErrNotYours", err)
	}
	b := testutil.NewBrowser(t, e.app).As(ann)
	if status, body, _ := b.Do("POST", "/forum/p/"+post.Id+"/edit", url.Values{"body": {"[x](javascript:alert(1))"}}); status != 400 ||
		!strings.Contains(body, "javascript:alert(1)") {
		t.Errorf("unsafe edit = %d; want 400 with the typed text kept", status)
	}
	if status, _, _ := b.Do("POST", "/forum/p/"+post.Id+"/edit", url.Values{"body": {"Second version"}}); status != 303 {
		t.Fatalf("edit = %d", status)
	}
	// through the REST API too: checked, and recorded
	token := testutil.Token(t, ann)
	if status, body := jsonCall(t, b.Base, http.MethodPatch, "/api/collections/forum_posts/records/"+post.Id, token, `{"body":"<script>alert(1)</script>"}`); status != 400 ||
		!strings.Contains(body, "script") {
		t.Errorf("unsafe edit through the API = %d %s", status, body)
	}
	if status, body := jsonCall(t, b.Base, http.MethodPatch, "/api/collections/forum_posts/records/"+post.Id, token, `{"body":"Third version"}`); status != 200 {
		t.Fatalf("edit through the API = %d %s", status, body)
	}

	hist, err := e.mod.forum.History(post.Id)
	if err != nil || len(hist) != 2 || hist[0].Body != "Second version" || hist[1].Body != "First **version**" || hist[0].Editor != "Ann" {
		t.Fatalf("History = %+v, %v", hist, err)
	}
	_, page, _ := b.Do("GET", "/forum/p/"+post.Id+"/history", nil)
	for _, want := range []string{"Third version", "Second version", "<strong>version</strong>"} {
		if !strings.Contains(page, want) {
			t.Errorf("history page lacks %q", want)
		}
	}
	if _, page, _ := b.Do("GET", "/forum/t/"+topic.Id, nil); !strings.Contains(page, "/forum/p/"+post.Id+"/history") {
		t.Error("the topic page does not mark the reply as edited")
	}
}

func TestReactionsAndQuotes(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	topic := e.need(t, ann, KindRequest)
	post, err := e.mod.forum.Reply(ann, topic.Id, "Night mode please\nwith a schedule")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.mod.forum.React(ann, post.Id, "nope", true); err != ErrBadReaction {
		t.Errorf("unknown reaction = %v", err)
	}
	members := make([]*core.Record, 40)
	for i := range members {
		members[i] = testutil.Member(t, e.app, fmt.Sprintf("r%d@x.io", i), "R")
	}
	var wg sync.WaitGroup
	for _, m := range members {
		for range 3 { // pressing fast: still one each
			wg.Go(func() {
				if _, err := e.mod.forum.React(m, post.Id, "up", true); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	counts, err := e.mod.forum.React(ann, post.Id, "heart", true)
	if err != nil || counts["up"] != 40 || counts["heart"] != 1 {
		t.Fatalf("counts = %v, %v", counts, err)
	}
	if counts, _ := e.mod.forum.React(members[0], post.Id, "up", false); counts["up"] != 39 {
		t.Errorf("after taking one back: %v", counts)
	}
	if got := e.live.Last("topic:" + topic.Id)["reactions"]; got == nil {
		t.Error("reactions not published on the topic's channel")
	}

	b := testutil.NewBrowser(t, e.app).As(ann)
	if status, _, _ := b.Do("POST", "/forum/p/"+post.Id+"/react", url.Values{"emoji": {"heart"}}); status != 303 { // toggles off
		t.Fatalf("react form = %d", status)
	}
	if e.mod.forum.HasReacted(ann, post.Id, "heart") {
		t.Error("the reaction button did not toggle off")
	}
	_, page, _ := b.Do("GET", "/forum/t/"+topic.Id+"?quote="+post.Id, nil)
	if !strings.Contains(page, "&gt; Night mode please\n&gt; with a schedule") || !strings.Contains(page, "@Ann") {
		t.Errorf("the reply box is not filled with the quote")
	}
	if !strings.Contains(page, `👍 <span>39</span>`) {
		t.Errorf("the topic page does not show the reaction count")
	}
	if status, body := jsonCall(t, b.Base, http.MethodPost, "/api/forum/posts/"+post.Id+"/reactions/party", testutil.Token(t, ann), ""); status != 200 ||
		!strings.Contains(body, `"party":1`) || !strings.Contains(body, `"up":39`) {
		t.Errorf("reaction through the API = %d %s", status, body)
	}
}

// jsonCall sends a JSON request with a member's token.
func jsonCall(t *testing.T, base, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// multipartReply posts a reply form with files to the web route.
func multipartReply(t *testing.T, b *testutil.Browser, topic, body string, files map[string][]byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("body", body)
	for name, data := range files {
		part, _ := w.CreateFormFile("images", name)
		_, _ = part.Write(data)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", b.Base+"/forum/t/"+topic+"/reply", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Accept-Language", "en")
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

func TestReplyImages(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	topic := e.need(t, ann, KindBug)
	b := testutil.NewBrowser(t, e.app).As(ann)
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	_ = pngenc.Encode(&png, img)

	if status, body := multipartReply(t, b, topic.Id, "See the glitch", map[string][]byte{"notes.txt": []byte("just text, not an image")}); status != 400 ||
		!strings.Contains(body, "Only PNG, JPEG") || !strings.Contains(body, "See the glitch") {
		t.Errorf("a text file as image = %d; want 400 with a clear message and the text kept", status)
	}
	big := append(append([]byte{}, png.Bytes()...), make([]byte, 5<<20)...)
	if status, body := multipartReply(t, b, topic.Id, "Huge", map[string][]byte{"big.png": big}); status != 400 || !strings.Contains(body, "larger than 5 MB") {
		t.Errorf("an oversized image = %d", status)
	}
	if n, _ := e.app.CountRecords(Posts); n != 0 {
		t.Fatalf("refused uploads stored %d replies", n)
	}
	if status, _ := multipartReply(t, b, topic.Id, "Screenshot attached", map[string][]byte{"shot.png": png.Bytes()}); status != 303 {
		t.Fatalf("reply with an image = %d", status)
	}
	posts, _ := e.app.FindAllRecords(Posts)
	if len(posts) != 1 || len(posts[0].GetStringSlice("images")) != 1 {
		t.Fatalf("stored replies = %v", posts)
	}
	_, page, _ := b.Do("GET", "/forum/t/"+topic.Id, nil)
	if !strings.Contains(page, "/api/files/"+posts[0].Collection().Id+"/"+posts[0].Id+"/") {
		t.Error("the topic page does not show the image")
	}
	// images change only through the checked reply path, never by a record update
	for _, body := range []string{`{"images":[]}`, `{"images-":["x.png"]}`} {
		if status, _ := jsonCall(t, b.Base, http.MethodPatch, "/api/collections/forum_posts/records/"+posts[0].Id, testutil.Token(t, ann), body); status == 200 {
			t.Errorf("PATCH %s by the author = 200, want refused", body)
		}
	}
}

func TestMentionsInANewTopic(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	bob := testutil.Member(t, e.app, "bob@x.io", "Bob")
	cat := testutil.Member(t, e.app, "cat@x.io", "Cat")
	fields := map[string]string{"problem": "The night shots are dark, @Cat saw it too", "proposal": "q"}
	if _, err := e.mod.Forum().CreateTopic(ann, NewTopic{Board: "camera", Kind: KindRequest, Title: "Night mode", Body: "cc @Bob", Fields: fields}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*core.Record{bob, cat} {
		if got := len(e.notes.of(m.Id)); got != 1 {
			t.Errorf("%s has %d unread after being mentioned in a new topic, want 1", m.GetString("name"), got)
		}
	}
	if got := len(e.notes.of(ann.Id)); got != 0 {
		t.Errorf("the author was notified of her own topic")
	}
}
