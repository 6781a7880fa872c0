package activity_test

import (
	"fmt"

	"github.com/credwatch/credwatch/internal/activity"
)

func ExampleParseISODuration() {
	for _, s := range []string{"P90D", "P4DT12H30M5S", "PT1H", "P1Y"} {
		d, err := activity.ParseISODuration(s)
		fmt.Println(d, err)
	}
	// Output:
	// 2160h0m0s <nil>
	// 108h30m5s <nil>
	// 1h0m0s <nil>
	// 0s invalid ISO 8601 duration "P1Y": years have no fixed length; give days (P365D)
}

func ExampleNormalizeActivityName() {
	// As Entra writes it: an en dash and a trailing space.
	raw := "Update application \u2013 Certificates and secrets management "
	fmt.Printf("%q\n", activity.NormalizeActivityName(raw))
	fmt.Println(activity.NormalizeActivityName(raw) == activity.ActivityAppCredentials)
	// Output:
	// "Update application - Certificates and secrets management"
	// true
}

func ExampleParseKeyDescription() {
	keys, err := activity.ParseKeyDescription(`["[KeyIdentifier=83f45296-fb8f-4aaa-a399-ac51084e02b7,KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=billing, O=Contoso]"]`)
	fmt.Printf("%+v %v\n", keys, err)
	// Output:
	// [{KeyID:83f45296-fb8f-4aaa-a399-ac51084e02b7 KeyType:AsymmetricX509Cert KeyUsage:Verify DisplayName:CN=billing, O=Contoso}] <nil>
}
