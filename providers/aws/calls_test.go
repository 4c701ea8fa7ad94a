package aws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestChangeSentFinishes interrupts (cancels the context of) two EC2
// calls while AWS is answering: the change (CreateTags) runs to its
// answer, the read (DescribeTags) stops at once.
func TestChangeSentFinishes(t *testing.T) {
	t.Parallel()
	received := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		received <- r.Form.Get("Action")
		time.Sleep(300 * time.Millisecond)
		w.Header().Set("Content-Type", "text/xml")
		switch r.Form.Get("Action") {
		case "CreateTags":
			_, _ = w.Write([]byte(`<CreateTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><return>true</return></CreateTagsResponse>`))
		default:
			_, _ = w.Write([]byte(`<DescribeTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>2</requestId><tagSet/></DescribeTagsResponse>`))
		}
	}))
	defer srv.Close()
	c, err := newClients(context.Background(), settings{Region: "us-east-1", EndpointURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	tagInput := &ec2.CreateTagsInput{Resources: []string{"vpc-1"}, Tags: []types.Tag{{Key: sdk.String("k"), Value: sdk.String("v")}}}
	call := func(fn func(ctx context.Context) error) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-received
			time.Sleep(50 * time.Millisecond)
			cancel()
		}()
		return fn(ctx)
	}
	err = call(func(ctx context.Context) error {
		_, err := c.ec2.CreateTags(ctx, tagInput)
		return err
	})
	if err != nil {
		t.Errorf("CreateTags interrupted while AWS answered: %v, want it to finish", err)
	}
	err = call(func(ctx context.Context) error {
		_, err := c.ec2.DescribeTags(ctx, &ec2.DescribeTagsInput{MaxResults: sdk.Int32(5)})
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("DescribeTags interrupted while AWS answered: %v, want it cancelled", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ec2.CreateTags(ctx, tagInput); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateTags after the interrupt: %v, want it not sent", err)
	}
	if len(received) > 0 {
		t.Errorf("a call after the interrupt reached AWS: %s", <-received)
	}
}
