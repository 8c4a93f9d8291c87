package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
)

// NodeName is the cluster's one node, which Node runs.
const NodeName = "archway-e2e-node"

// Node plays the kubelet of the cluster's one node, so that Deployments
// run: it registers the Node, binds every unscheduled Pod to it (no
// scheduler runs), and runs each Pod as processes in a network of its own
// (a network namespace and veth pair, as StartBackend makes: the Pod's IP
// is 10.244.N.2, which the host and so nginx reach). A container's image
// names a binary (images, by the image's last path element without tag),
// which runs chrooted in the Pod's folder, where the Pod's secret,
// configMap and emptyDir volumes are written at their mount paths, with
// the container's args and env (values and the downward API's fields). A
// readiness probe (httpGet or tcpSocket) decides Ready, else a running
// process does. Anything else a Pod asks for (another image, a command,
// env from objects) leaves the container waiting with
// CreateContainerConfigError, as the kubelet would.
type Node struct {
	client kubernetes.Interface
	dir    string            // the Pods' folders and logs
	images map[string]string // image name -> binary
	queue  workqueue.TypedRateLimitingInterface[string]
	pods   cache.Indexer
	cancel context.CancelFunc
	done   sync.WaitGroup

	mu      sync.Mutex
	running map[string]*podRun // by namespace/name
}

// podRun is a Pod the node runs.
type podRun struct {
	uid      string
	network  *network
	root     string
	procs    []*Process
	restarts []int32
	ready    bool
	stopped  bool // set under Node.mu once it ends: nothing restarts then
}

// StartNode registers the node and starts running Pods; Stop ends them.
func StartNode(client kubernetes.Interface, dir string, images map[string]string) (*Node, error) {
	n := &Node{
		client: client, dir: dir, images: images, running: map[string]*podRun{},
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	if err := n.register(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	factory := informers.NewSharedInformerFactory(client, 0)
	informer := factory.Core().V1().Pods().Informer()
	n.pods = informer.GetIndexer()
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			n.queue.Add(key)
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	}); err != nil {
		cancel()
		return nil, err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		cancel()
		return nil, errors.New("node: Pod informer never synced")
	}
	for range 4 {
		n.done.Go(func() {
			for n.next(ctx) {
			}
		})
	}
	return n, nil
}

// register creates the Node, Ready, with room for many Pods.
func (n *Node) register() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("64Gi"),
		corev1.ResourcePods: resource.MustParse("250"),
	}
	node, err := n.client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	now := metav1.Now()
	node.Status = corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
	}
	if _, err := n.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node status: %w", err)
	}
	return nil
}

// Stop ends every Pod's processes and network; the Pod objects stay.
func (n *Node) Stop() error {
	n.cancel()
	n.queue.ShutDown()
	n.done.Wait()
	n.mu.Lock()
	runs := n.running
	n.running = map[string]*podRun{}
	n.mu.Unlock()
	var errs []error
	for _, run := range runs {
		errs = append(errs, n.finish(run))
	}
	return errors.Join(errs...)
}

func (n *Node) next(ctx context.Context) bool {
	key, quit := n.queue.Get()
	if quit {
		return false
	}
	defer n.queue.Done(key)
	if err := n.sync(ctx, key); err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "node: pod %s: %v\n", key, err)
		}
		n.queue.AddRateLimited(key)
		return true
	}
	n.queue.Forget(key)
	return true
}

// sync brings one Pod to what its object says: bound, running, or gone.
func (n *Node) sync(ctx context.Context, key string) error {
	obj, exists, err := n.pods.GetByKey(key)
	if err != nil {
		return err
	}
	if !exists {
		return n.end(key, "")
	}
	pod := obj.(*corev1.Pod)
	switch {
	case pod.Spec.NodeName == "":
		err := n.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: NodeName},
		}, metav1.CreateOptions{})
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil // bound or gone meanwhile: the informer brings the news
		}
		return err
	case pod.Spec.NodeName != NodeName:
		return nil
	case pod.DeletionTimestamp != nil:
		if err := n.end(key, string(pod.UID)); err != nil {
			return err
		}
		err := n.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID},
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	n.mu.Lock()
	run := n.running[key]
	n.mu.Unlock()
	if run != nil && run.uid == string(pod.UID) {
		return nil
	}
	if run != nil { // a new Pod of the same name
		if err := n.end(key, run.uid); err != nil {
			return err
		}
	}
	return n.start(ctx, key, pod)
}

// end stops the Pod run under key (of that uid, or any when uid is "").
func (n *Node) end(key, uid string) error {
	n.mu.Lock()
	run := n.running[key]
	if run == nil || (uid != "" && run.uid != uid) {
		n.mu.Unlock()
		return nil
	}
	delete(n.running, key)
	n.mu.Unlock()
	return n.finish(run)
}

// finish kills the run's processes and removes its network and folder.
func (n *Node) finish(run *podRun) error {
	n.mu.Lock()
	run.stopped = true
	procs := slices.Clone(run.procs)
	n.mu.Unlock()
	for _, p := range procs {
		if p != nil {
			p.Kill()
		}
	}
	var errs []error
	if run.network != nil {
		errs = append(errs, run.network.release())
	}
	return errors.Join(append(errs, os.RemoveAll(run.root))...)
}

// start runs the Pod's containers, or reports why it cannot.
func (n *Node) start(ctx context.Context, key string, pod *corev1.Pod) error {
	commands, problem := n.commands(pod)
	if problem != "" {
		return n.writeStatus(ctx, pod, nil, problem)
	}
	run := &podRun{uid: string(pod.UID), restarts: make([]int32, len(commands))}
	run.procs = make([]*Process, len(commands))
	run.root = filepath.Join(n.dir, "pods", pod.Namespace+"_"+pod.Name+"_"+string(pod.UID))
	started := func() error {
		var err error
		if run.network, err = newNetwork(); err != nil {
			return err
		}
		if err := n.writeVolumes(ctx, pod, run.root); err != nil {
			return err
		}
		for i := range commands {
			if err := n.startContainer(pod, run, i, commands[i]); err != nil {
				return err
			}
		}
		return nil
	}()
	if started != nil {
		return errors.Join(started, n.finish(run))
	}
	n.mu.Lock()
	n.running[key] = run
	n.mu.Unlock()
	if err := n.writeStatus(ctx, pod, run, ""); err != nil {
		return err
	}
	n.done.Go(func() { n.watch(ctx, pod, run, commands) })
	return nil
}

// container is what runs for one container: the binary in the Pod's
// root, its args and env.
type container struct {
	binary string
	args   []string
	env    []string
}

// commands maps the Pod's containers to binaries, or says why it cannot.
func (n *Node) commands(pod *corev1.Pod) ([]container, string) {
	var out []container
	for _, c := range pod.Spec.Containers {
		image := c.Image
		image = image[strings.LastIndex(image, "/")+1:]
		image, _, _ = strings.Cut(image, "@")
		image, _, _ = strings.Cut(image, ":")
		binary, ok := n.images[image]
		if !ok {
			return nil, fmt.Sprintf("container %s: no binary for image %s on this node", c.Name, c.Image)
		}
		if len(c.Command) > 0 {
			return nil, fmt.Sprintf("container %s: command is not supported, only args", c.Name)
		}
		env := []string{"PATH=/", "HOSTNAME=" + pod.Name}
		for _, e := range c.Env {
			value := e.Value
			if e.ValueFrom != nil {
				var ok bool
				if value, ok = fieldOf(pod, e.ValueFrom); !ok {
					return nil, fmt.Sprintf("container %s: env %s: only values and the downward API's fields are supported", c.Name, e.Name)
				}
			}
			env = append(env, e.Name+"="+value)
		}
		out = append(out, container{binary: binary, args: c.Args, env: env})
	}
	return out, ""
}

// fieldOf is a downward API field of the Pod; status.podIP is filled in
// when the container starts.
func fieldOf(pod *corev1.Pod, from *corev1.EnvVarSource) (string, bool) {
	if from.FieldRef == nil {
		return "", false
	}
	switch from.FieldRef.FieldPath {
	case "metadata.name":
		return pod.Name, true
	case "metadata.namespace":
		return pod.Namespace, true
	case "metadata.uid":
		return string(pod.UID), true
	case "spec.nodeName":
		return pod.Spec.NodeName, true
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, true
	case "status.podIP", "status.hostIP":
		return "$(" + from.FieldRef.FieldPath + ")", true
	}
	return "", false
}

// writeVolumes writes the Pod's volumes at their containers' mount paths
// under root.
func (n *Node) writeVolumes(ctx context.Context, pod *corev1.Pod, root string) error {
	volumes := map[string]map[string][]byte{}
	for _, v := range pod.Spec.Volumes {
		files := map[string][]byte{}
		var data map[string][]byte
		var items []corev1.KeyToPath
		switch {
		case v.Secret != nil:
			secret, err := n.client.CoreV1().Secrets(pod.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("volume %s: %w", v.Name, err)
			}
			data, items = secret.Data, v.Secret.Items
		case v.ConfigMap != nil:
			cm, err := n.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("volume %s: %w", v.Name, err)
			}
			data = map[string][]byte{}
			for k, value := range cm.Data {
				data[k] = []byte(value)
			}
			items = v.ConfigMap.Items
		case v.EmptyDir != nil:
		default:
			return fmt.Errorf("volume %s: only secret, configMap and emptyDir volumes are supported", v.Name)
		}
		for k, value := range data {
			files[k] = value
		}
		if len(items) > 0 {
			files = map[string][]byte{}
			for _, item := range items {
				files[item.Path] = data[item.Key]
			}
		}
		volumes[v.Name] = files
	}
	for _, c := range pod.Spec.Containers {
		for _, m := range c.VolumeMounts {
			dir := filepath.Join(root, filepath.Clean("/"+m.MountPath))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			for name, data := range volumes[m.Name] {
				path := filepath.Join(dir, filepath.Clean("/"+name))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					return err
				}
			}
		}
	}
	return os.MkdirAll(root, 0o755)
}

// startContainer starts container i of the Pod: its binary, copied into
// the Pod's root, chrooted there inside the Pod's network namespace.
func (n *Node) startContainer(pod *corev1.Pod, run *podRun, i int, c container) error {
	name := "/" + filepath.Base(c.binary)
	if _, err := os.Stat(run.root + name); err != nil {
		if err := os.Link(c.binary, run.root+name); err != nil {
			return fmt.Errorf("container %d: %w", i, err)
		}
	}
	env := make([]string, len(c.env))
	for j, e := range c.env {
		e = strings.ReplaceAll(e, "$(status.podIP)", run.network.ip)
		env[j] = strings.ReplaceAll(e, "$(status.hostIP)", run.network.hostIP)
	}
	log := filepath.Join(n.dir, "pod-"+pod.Namespace+"_"+pod.Name+"_"+pod.Spec.Containers[i].Name+".log")
	p, err := startProcess("pod "+pod.Namespace+"/"+pod.Name, log, env, "ip",
		append([]string{"netns", "exec", run.network.netns, "/usr/sbin/chroot", run.root, name}, c.args...)...)
	if err != nil {
		return err
	}
	run.procs[i] = p
	return nil
}

// watch probes the Pod's readiness and restarts containers that exit
// (restartPolicy Always), writing the status on each change, until the
// Pod ends.
func (n *Node) watch(ctx context.Context, pod *corev1.Pod, run *podRun, commands []container) {
	ticker := time.NewTicker(500 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		n.mu.Lock()
		if run.stopped {
			n.mu.Unlock()
			return
		}
		changed := false
		for i, p := range run.procs {
			if p.Exited() && pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
				run.restarts[i]++
				if err := n.startContainer(pod, run, i, commands[i]); err != nil {
					fmt.Fprintf(os.Stderr, "node: restart %s/%s: %v\n", pod.Namespace, pod.Name, err)
				}
				changed = true
			}
		}
		procs := slices.Clone(run.procs)
		n.mu.Unlock()
		ready := probe(pod, procs, run.network.ip)
		n.mu.Lock()
		changed = changed || ready != run.ready
		run.ready = ready
		n.mu.Unlock()
		if changed {
			if err := n.writeStatus(ctx, pod, run, ""); err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "node: status of %s/%s: %v\n", pod.Namespace, pod.Name, err)
			}
		}
	}
}

var probeClient = &http.Client{Timeout: time.Second}

// probe reports whether every container (procs) runs and passes its
// readiness probe on the Pod's ip.
func probe(pod *corev1.Pod, procs []*Process, ip string) bool {
	for i, c := range pod.Spec.Containers {
		if procs[i].Exited() {
			return false
		}
		probe := c.ReadinessProbe
		if probe == nil {
			continue
		}
		switch {
		case probe.HTTPGet != nil:
			port := portOf(c, probe.HTTPGet.Port)
			resp, err := probeClient.Get("http://" + net.JoinHostPort(ip, port) + probe.HTTPGet.Path)
			if err != nil {
				return false
			}
			resp.Body.Close()
			if resp.StatusCode < 200 || resp.StatusCode >= 400 {
				return false
			}
		case probe.TCPSocket != nil:
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip, portOf(c, probe.TCPSocket.Port)), time.Second)
			if err != nil {
				return false
			}
			conn.Close()
		}
	}
	return true
}

// portOf resolves a probe's port, by number or by the container's port
// name.
func portOf(c corev1.Container, port intstr.IntOrString) string {
	if port.Type == intstr.Int {
		return strconv.Itoa(port.IntValue())
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return strconv.Itoa(int(p.ContainerPort))
		}
	}
	return port.StrVal
}

// writeStatus writes the Pod's status: Running with its IP and readiness,
// or, with a problem, Pending with every container waiting.
func (n *Node) writeStatus(ctx context.Context, pod *corev1.Pod, run *podRun, problem string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current, err := n.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if current.UID != pod.UID {
			return nil
		}
		now := metav1.Now()
		status := &current.Status
		status.HostIP, status.HostIPs = "127.0.0.1", []corev1.HostIP{{IP: "127.0.0.1"}}
		if status.StartTime == nil {
			status.StartTime = &now
		}
		ready := corev1.ConditionFalse
		status.ContainerStatuses = nil
		if problem != "" {
			status.Phase = corev1.PodPending
			for _, c := range pod.Spec.Containers {
				status.ContainerStatuses = append(status.ContainerStatuses, corev1.ContainerStatus{
					Name: c.Name, Image: c.Image,
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: problem}},
				})
			}
		} else {
			n.mu.Lock()
			if run.ready {
				ready = corev1.ConditionTrue
			}
			status.Phase = corev1.PodRunning
			status.PodIP, status.PodIPs = run.network.ip, []corev1.PodIP{{IP: run.network.ip}}
			for i, c := range pod.Spec.Containers {
				status.ContainerStatuses = append(status.ContainerStatuses, corev1.ContainerStatus{
					Name: c.Name, Image: c.Image, ImageID: c.Image, ContainerID: "process://" + strconv.Itoa(run.procs[i].Cmd.Process.Pid),
					Ready: run.ready, Started: ptr.To(true), RestartCount: run.restarts[i],
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
				})
			}
			n.mu.Unlock()
		}
		setCondition(status, corev1.PodScheduled, corev1.ConditionTrue, now)
		setCondition(status, corev1.PodInitialized, corev1.ConditionTrue, now)
		setCondition(status, corev1.ContainersReady, ready, now)
		setCondition(status, corev1.PodReady, ready, now)
		_, err = n.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, current, metav1.UpdateOptions{})
		return err
	})
}

func setCondition(status *corev1.PodStatus, kind corev1.PodConditionType, value corev1.ConditionStatus, now metav1.Time) {
	for i := range status.Conditions {
		if status.Conditions[i].Type == kind {
			if status.Conditions[i].Status != value {
				status.Conditions[i].Status, status.Conditions[i].LastTransitionTime = value, now
			}
			return
		}
	}
	status.Conditions = append(status.Conditions, corev1.PodCondition{Type: kind, Status: value, LastTransitionTime: now})
}
