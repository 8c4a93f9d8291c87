package harness

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// user is an identity of the static token file.
type user struct {
	name   string
	groups []string
	token  string
}

// Account is a token user named like a ServiceAccount, so RBAC bindings
// can name it as the Helm chart will: a subject of kind ServiceAccount.
type Account struct {
	Namespace, Name, Token string
}

// NewAccount returns an Account with a new random token.
func NewAccount(namespace, name string) Account {
	return Account{Namespace: namespace, Name: name, Token: rand.Text()}
}

func (a Account) user() user {
	return user{
		name:   "system:serviceaccount:" + a.Namespace + ":" + a.Name,
		groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + a.Namespace},
		token:  a.Token,
	}
}

// Cluster is one etcd and one kube-apiserver on loopback.
type Cluster struct {
	Dir           string
	Etcd          *Process
	APIServer     *Process
	apiserverBin  string
	apiserverArgs []string
	Port          int
	CAPEM         []byte
	Admin         *kubernetes.Clientset
	adminToken    string
}

// start starts etcd and kube-apiserver with their files in c.dir; the
// token file holds an admin (system:masters) and the accounts. Callers stop
// the cluster even when start fails.
func (c *Cluster) start(apiserverBin string, accounts []Account) error {
	c.apiserverBin = apiserverBin
	ports, err := FreePorts(3)
	if err != nil {
		return err
	}
	etcdClient, etcdPeer := "http://127.0.0.1:"+strconv.Itoa(ports[0]), "http://127.0.0.1:"+strconv.Itoa(ports[1])
	c.Port = ports[2]
	c.Etcd, err = StartProcess("etcd", filepath.Join(c.Dir, "etcd.log"), nil, "/usr/bin/etcd",
		"--name=e2e", "--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+etcdClient, "--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer, "--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=e2e="+etcdPeer, "--unsafe-no-fsync")
	if err != nil {
		return err
	}
	c.Etcd.ReraisesTerm = true
	if err := Eventually(20*time.Second, 100*time.Millisecond, func() error { return etcdHealthy(etcdClient) }); err != nil {
		return fmt.Errorf("etcd not healthy: %w\n%s", err, c.Etcd.LogTail(20))
	}

	admin := user{name: "admin", groups: []string{"system:masters"}, token: rand.Text()}
	users := []user{admin}
	for _, a := range accounts {
		users = append(users, a.user())
	}
	files, err := c.writeCredentials(users)
	if err != nil {
		return err
	}
	c.apiserverArgs = []string{
		"--etcd-servers=" + etcdClient,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.Port),
		"--cert-dir=" + filepath.Join(c.Dir, "apiserver-certs"),
		"--tls-cert-file=" + files.cert, "--tls-private-key-file=" + files.key,
		// The default reconciler refuses a loopback advertise address.
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + files.saPublic,
		"--service-account-signing-key-file=" + files.saPrivate,
		"--token-auth-file=" + files.tokens,
		"--authorization-mode=RBAC",
		// No controller-manager creates ServiceAccount tokens here.
		"--disable-admission-plugins=ServiceAccount",
		"--profiling=false",
	}
	if err := c.StartAPIServer(); err != nil {
		return err
	}
	c.adminToken = admin.token
	c.Admin, err = kubernetes.NewForConfig(c.RestConfig(admin.token))
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	return c.WaitAPIServerReady()
}

// StartAPIServer starts kube-apiserver, also again after KillAPIServer:
// same port, same etcd, same credentials.
func (c *Cluster) StartAPIServer() error {
	var err error
	c.APIServer, err = StartProcess("kube-apiserver", filepath.Join(c.Dir, "kube-apiserver.log"), nil, c.apiserverBin, c.apiserverArgs...)
	return err
}

// KillAPIServer kills kube-apiserver at once, as a crash would. (Its
// graceful shutdown waits up to a minute for open watches to end.)
func (c *Cluster) KillAPIServer() {
	c.APIServer.Kill()
}

// WaitAPIServerReady waits for /readyz, which includes the RBAC bootstrap.
func (c *Cluster) WaitAPIServerReady() error {
	err := Eventually(60*time.Second, 100*time.Millisecond, func() error {
		if c.APIServer.Exited() {
			return fmt.Errorf("kube-apiserver exited: %v", c.APIServer.err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := c.Admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("kube-apiserver not ready: %w\n%s", err, c.APIServer.LogTail(30))
	}
	return nil
}

// stop stops the API server and etcd, returning what went wrong.
func (c *Cluster) stop() []error {
	var errs []error
	for _, p := range []*Process{c.APIServer, c.Etcd} {
		if p != nil && !p.Exited() {
			if err := p.Stop(30 * time.Second); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// RestConfig is a client config for the API server with token.
func (c *Cluster) RestConfig(token string) *rest.Config {
	return &rest.Config{
		Host:            "https://127.0.0.1:" + strconv.Itoa(c.Port),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CAPEM},
		QPS:             100,
		Burst:           200,
		// Tests use the deprecated class annotation on purpose.
		WarningHandler: rest.NoWarnings{},
	}
}

// AdminConfig is a client config for the API server as an admin, for
// clients faster than Admin.
func (c *Cluster) AdminConfig() *rest.Config { return c.RestConfig(c.adminToken) }

// WriteKubeconfig writes a kubeconfig for token and returns its path.
func (c *Cluster) WriteKubeconfig(name, token string) (string, error) {
	path := filepath.Join(c.Dir, name+".kubeconfig")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: c.RestConfig("").Host, CertificateAuthorityData: c.CAPEM}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: name}
	cfg.CurrentContext = "e2e"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("write kubeconfig %s: %w", name, err)
	}
	return path, nil
}

func etcdHealthy(clientURL string) error {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get(clientURL + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd /health: %s", resp.Status)
	}
	return nil
}

// FreePorts returns n distinct ports free on 127.0.0.1. They are held open
// together while chosen, so they differ; a race with other programs
// between close and use is possible but unlikely on a test machine.
func FreePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
